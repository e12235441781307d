async def test_smoke(make_bot):
    tb = await make_bot(raw={"plugins": {"tips": {"treasury_initial": 1000}}})
    chat = tb.chat
    await chat.say("bob", "hello")
    await chat.say("alice", "hello")
    print(await chat.say("mod", "!grant @alice 100 welcome"))
    print(await chat.say("alice", "!tip @bob 5 thanks"))
    print(await chat.say("alice", "!tip @bob 500"))
    print(await chat.say("alice", "!balance"))
    print(await chat.say("bob", "!history"))
    print(await chat.say("bob", "!leaderboard"))
    print(await chat.say("bob", "!leaderboard --period week"))
    print(await chat.say("mod", "!treasury"))
    print(await chat.say("mod", "!ledger"))
    print(await chat.say("mod", "!ledger export json"))
    print(chat.last().files[0][1][:300])
    from plugins.tips import integrity
    print(await integrity.check(tb.bot))
