"""Proposals: made (validated like `!config`), put to a vote, and applied exactly once.

The votes plugin runs the poll (`open_poll`, subject `governance:<id>`) and tells us when it
closes (`on_poll_closed`, possibly twice after a crash). What a proposal becomes is decided by
one guarded status change, `open` → final, that shares its transaction with the effect:
- `config`: the setting's new value and its audit entry are written in that same transaction,
  so a setting is changed once and only with its proposal marked applied;
- `spend`: the treasury lives in the tips plugin's ledger (another plugin's transaction), so
  the proposal goes `open` → `paying`, then `award_tokens` (a member) or funding's
  `fund_round_from_treasury` (an idea's open round) pays under the ref
  `governance:<id>` (idempotent: a replay pays nothing twice), then `paying` → `applied` (or
  `refused` when the treasury fell short). A `paying` proposal left by a crash is finished
  by the next `on_poll_closed` replay or by the sweep.

One rule for conflicts: while a proposal on a setting (or a spend to a member) is undecided,
a second one on the same target is refused. A moderator may still change the setting with
`!config`; their change wins, and the proposal ends `superseded` at close (nothing applied).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import TYPE_CHECKING, Any

from bot.api import (
    Community,
    IntegrityError,
    Member,
    RoomRef,
    Text,
    Tx,
    UserError,
    one_line,
    translatable,
)
from plugins.governance import store
from plugins.governance.config import Constitution, GovernanceConfig
from plugins.governance.models import Proposal
from plugins.votes.models import PollRequest

if TYPE_CHECKING:
    from bot.api import Bot

_ = translatable("governance")
log = logging.getLogger("ruche.governance")

SUBJECT = "governance:"
SPEND_REASON = "governance_spend"
MAX_REASON = 200
#: How long after its poll's deadline an undecided proposal is looked at by the sweep (the
#: votes plugin's own sweep closes the poll and tells us first, in the normal case).
OVERDUE_GRACE = 120.0


def fmt_amount(amount: int, decimals: int) -> str:
    """An amount in the smallest unit, as members write it (`12.50` with 2 decimals)."""
    if decimals <= 0:
        return str(amount)
    whole, frac = divmod(amount, 10 ** decimals)
    return f"{whole}.{frac:0{decimals}d}"


def verdict(majority: str, quorum: int, result: Any) -> str:
    """passed, rejected or no_quorum; totals are in option order Yes, No (, Block)."""
    ballots = int(getattr(result, "ballots", 0))
    if ballots < quorum or not bool(getattr(result, "quorum_met", True)):
        return "no_quorum"
    totals = tuple(float(t) for t in getattr(result, "totals", ()) or ())
    yes = totals[0] if totals else 0.0
    no = totals[1] if len(totals) > 1 else 0.0
    block = totals[2] if len(totals) > 2 else 0.0
    if majority == "two-thirds":
        passed = yes > 0 and 3 * yes >= 2 * (yes + no)
    elif majority == "consensus":
        passed = block == 0 and yes > no
    else:
        passed = yes > no
    return "passed" if passed else "rejected"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


class GovernanceService:
    """Making, deciding and applying proposals; one instance per bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._seen: dict[tuple[str, int], float] = {}  # last activity written, per member

    def constitution(self, community: str) -> Constitution:
        return self.bot.plugin_config(GovernanceConfig).constitution(community)

    def unusable_keys(self) -> list[str]:
        """Keys of `allowed` (section and amendments) that no proposal could change."""
        cfg = self.bot.plugin_config(GovernanceConfig)
        keys = {key: "allowed" for key in cfg.allowed}
        for name, amendment in cfg.communities.items():
            keys.update({key: f"communities.{name}.allowed" for key in amendment.allowed or ()})
        problems = []
        for key, where in sorted(keys.items()):
            try:
                rule = self.bot.settings.rule(key)
            except UserError:
                problems.append(f"{where}: {key} is not a setting of a loaded plugin")
                continue
            if rule == "operator":
                problems.append(f"{where}: {key} is operator-only, so no vote can change it")
        return problems

    # -- activity (quorums as a share of active members) -------------------------------------

    async def seen(self, community: str, member_id: int) -> None:
        """Remember that a member was active; written at most once an hour per member."""
        now = float(self.bot.now())
        key = (community, member_id)
        if now - self._seen.get(key, -math.inf) < 3600:
            return
        self._seen[key] = now
        if len(self._seen) > 100_000:
            self._seen.clear()
        await store.seen(self.bot.db, community, member_id, now)

    async def required_quorum(self, community: str, c: Constitution) -> int:
        """Ballots a proposal needs now: the count, or the share of active members if larger."""
        if c.quorum_share <= 0:
            return c.quorum
        since = float(self.bot.now()) - c.active_window.total_seconds()
        active = await store.active_members(self.bot.db, community, since)
        return max(c.quorum, math.ceil(c.quorum_share * active))

    # -- making proposals -----------------------------------------------------------------------

    async def currency(self, community: str) -> tuple[str, int]:
        """(name, decimals) of the community's tokens; UserError without the tips plugin."""
        found = await self.bot.hooks.first("get_currency", bot=self.bot, community=community)
        if not found:
            raise UserError(_("Spending needs the tips plugin, which is not available here."))
        name, decimals = found
        return str(name), int(decimals)

    async def propose_config(self, community: Community, member: Member, room: RoomRef,
                             key: str, raw: str, reason: str) -> Proposal:
        """`!propose config KEY VALUE`: refused at once unless `!config` would accept it."""
        c = self.constitution(community.id)
        if key not in c.allowed:
            raise UserError(_("{key} cannot be changed by vote in this community; `rules` "
                              "lists what can.", key=one_line(key)[:60]))
        settings = self.bot.settings
        value = await settings.check(community.id, key, raw)
        draft = self._draft(community.id, member, room, "config", key, raw, reason, c,
                            prior=settings.shown(community.id, key))
        question = _("Change {key} from {old} to {new}?", key=key, old=draft.prior,
                     new=settings.show(value))
        return await self._open(draft, question, c)

    async def propose_spend(self, community: Community, member: Member, room: RoomRef,
                            amount: int, beneficiary: Member, reason: str) -> Proposal:
        """`!propose spend AMOUNT @member`: within the constitution's per-proposal and period caps."""
        c = self.constitution(community.id)
        name, decimals = await self.currency(community.id)
        if beneficiary.is_bot and c.spend_max > 0:
            raise UserError(_("Bots cannot receive tokens."))
        await self._check_spend(community, c, amount, name, decimals)
        draft = self._draft(community.id, member, room, "spend", f"member:{beneficiary.id}",
                            str(amount), reason, c)
        question = _("Pay {amount} {currency} from the treasury to {member}?",
                     amount=fmt_amount(amount, decimals), currency=name,
                     member=beneficiary.display_name)
        return await self._open(draft, question, c)

    async def propose_spend_idea(self, community: Community, member: Member, room: RoomRef,
                                 amount: int, number: int, reason: str) -> Proposal:
        """`!propose spend AMOUNT idea N`: the treasury pledges to the idea's open funding round
        (refused at once without one), within the same caps as a spend to a member."""
        c = self.constitution(community.id)
        name, decimals = await self.currency(community.id)
        await self._check_spend(community, c, amount, name, decimals)
        rounds = await self.bot.hooks.first_safe("list_funding_rounds", bot=self.bot,
                                                 community=community.id, states=("open",))
        found = [r for r in rounds or () if getattr(r, "idea_number", None) == number]
        if not found:
            raise UserError(_("Idea #{number} has no open funding round: a spend to an idea "
                              "is paid into its round, so one must be open first.",
                              number=number))
        draft = self._draft(community.id, member, room, "spend", f"idea:{found[0].idea_id}",
                            str(amount), reason, c, prior=f"#{number}")
        question = _("Pay {amount} {currency} from the treasury into the funding round of "
                     "idea #{number}?", amount=fmt_amount(amount, decimals), currency=name,
                     number=number)
        return await self._open(draft, question, c)

    async def _check_spend(self, community: Community, c: Constitution, amount: int, name: str,
                           decimals: int) -> None:
        """The constitution's spending rules, checked when a spend is proposed."""
        if c.spend_max <= 0:
            raise UserError(_("This community's constitution does not allow spending the "
                              "treasury by vote."))
        if amount > c.spend_max:
            raise UserError(_("A proposal may spend at most {max} {currency}.",
                              max=fmt_amount(c.spend_max, decimals), currency=name))
        if c.spend_period_max > 0:
            since = float(self.bot.now()) - c.spend_period.total_seconds()
            spent = await store.spent_since(self.bot.db, community.id, since,
                                            ("open", "opening", "paying", "applied"))
            if spent + amount > c.spend_period_max:
                raise UserError(_(
                    "Spending by vote is capped at {max} {currency} per period, and {spent} "
                    "are already spent or proposed.", max=fmt_amount(c.spend_period_max, decimals),
                    currency=name, spent=fmt_amount(spent, decimals)))

    def _draft(self, community: str, member: Member, room: RoomRef, kind: str, target: str,
               value: str, reason: str, c: Constitution, prior: str = "") -> Proposal:
        text = one_line(reason)
        if len(text) > MAX_REASON:
            raise UserError(_("The reason is too long (at most {limit} characters).",
                              limit=MAX_REASON))
        return Proposal(id=0, community=community, number=0, kind=kind, target=target,
                        value=value, reason=text, proposer_id=member.id, status="opening",
                        majority=c.majority, room=room, prior=prior,
                        created_at=float(self.bot.now()))

    async def _refusal(self, proposal: Proposal) -> Text | str | None:
        """The first plugin veto of `validate_proposal` (a failed check refuses too)."""
        for reason in await self.bot.hooks.verdicts("validate_proposal", bot=self.bot,
                                                    proposal=proposal):
            if reason is False:
                return _("it could not be checked.")
            if isinstance(reason, Text | str) and str(reason):
                return reason
        return None

    async def _open(self, draft: Proposal, question: Text, c: Constitution) -> Proposal:
        """Checks, then the row (which claims the target), then the poll; undone if no poll."""
        db = self.bot.db
        busy = await store.undecided_on(db, draft.community, draft.target)
        if busy is not None:
            raise UserError(_("Proposal #{number} on this is still open; wait for its result.",
                              number=busy.number))
        last = await store.last_closed_on(db, draft.community, draft.target)
        now = float(self.bot.now())
        if last is not None and now < last + c.cooldown.total_seconds():
            raise UserError(_("A proposal on this closed recently; the next may be made "
                              "after a cooldown of {cooldown}.",
                              cooldown=self.bot.settings.show(c.cooldown)))
        veto = await self._refusal(draft)
        if veto is not None:
            raise UserError(_("This proposal is refused: {reason}", reason=veto))
        draft = dataclasses.replace(draft,
                                    quorum=await self.required_quorum(draft.community, c))
        proposal: Proposal | None = None
        for _attempt in range(3):
            try:
                proposal = await db.atomic(lambda tx: store.insert(tx, draft))
                break
            except IntegrityError:
                busy = await store.undecided_on(db, draft.community, draft.target)
                if busy is not None:
                    raise UserError(_("Proposal #{number} on this is still open; wait for its "
                                      "result.", number=busy.number)) from None
        if proposal is None:
            raise UserError(_("Too many proposals at once; please try again."))
        try:
            poll = await self._poll(proposal, question, c)
        except BaseException:
            await store.delete_opening(db, proposal.id)
            raise
        if poll is None:
            await store.delete_opening(db, proposal.id)
            raise UserError(_("Voting is unavailable here, so nothing can be proposed."))
        await store.set_open(db, proposal.id, int(poll.id), int(poll.number),
                             getattr(poll, "closes_at", None))
        opened = await store.get(db, proposal.id)
        assert opened is not None
        await self.bot.hooks.notify("on_proposal_opened", bot=self.bot, proposal=opened)
        return opened

    async def _poll(self, proposal: Proposal, question: Text, c: Constitution) -> Any:
        locale = self.bot.communities.get(proposal.community).locale
        say = self.bot.i18n.translate
        options = [say(_("Yes"), locale), say(_("No"), locale)]
        if c.majority == "consensus":
            options.append(say(_("Block"), locale))
        assert proposal.room is not None
        text = say(_("Proposal #{number}: {question}", number=proposal.number,
                     question=question), locale)
        if proposal.reason:
            text += f" ({proposal.reason})"
        request = PollRequest(
            community=proposal.community, room=proposal.room, question=text[:300],
            options=tuple(options), method=c.method,
            duration_seconds=c.duration.total_seconds(), subject=f"{SUBJECT}{proposal.id}",
            creator_id=None, anonymous=c.secret, quorum=proposal.quorum)
        return await self.bot.hooks.first("open_poll", bot=self.bot, request=request)

    # -- deciding -------------------------------------------------------------------------------

    async def poll_closed(self, poll: Any, result: Any) -> None:
        """Decide the proposal of a closed poll; a replay of the same close changes nothing."""
        db = self.bot.db
        p = await self._of(poll)
        if p is None:
            return
        if p.status == "opening":  # the poll opened, then the process died before we knew
            await store.set_open(db, p.id, int(poll.id), int(poll.number),
                                 getattr(poll, "closes_at", None))
            p = await store.get(db, p.id)
            assert p is not None
        if p.status == "paying":
            await self.pay(p)
            return
        if p.status != "open":
            return
        outcome = verdict(p.majority, p.quorum, result)
        tally = self._tally(p, result)
        if outcome != "passed":
            await self._end(p, "open", outcome, tally)
        elif p.kind == "config":
            await self._apply_config(p, tally)
        else:
            await self._start_spend(p, tally)

    async def poll_cancelled(self, poll: Any) -> None:
        """A moderator cancelled the poll: the proposal ends without effect."""
        p = await self._of(poll)
        if p is not None and p.status in ("opening", "open"):
            await self._end(p, p.status, "cancelled", "poll cancelled")

    async def _of(self, poll: Any) -> Proposal | None:
        """The proposal a poll decides, if it is one of ours."""
        subject = str(getattr(poll, "subject", "") or "")
        if not subject.startswith(SUBJECT):
            return None
        try:
            proposal_id = int(subject[len(SUBJECT):])
        except ValueError:
            return None
        p = await store.get(self.bot.db, proposal_id)
        if p is None or p.community != getattr(poll, "community", None):
            return None
        return p

    def _tally(self, p: Proposal, result: Any) -> str:
        """The record of a result: `3 yes, 1 no (4 ballots, quorum 3)`."""
        totals = tuple(getattr(result, "totals", ()) or ())
        parts = [f"{_num(totals[0]) if totals else 0} yes",
                 f"{_num(totals[1]) if len(totals) > 1 else 0} no"]
        if len(totals) > 2:
            parts.append(f"{_num(totals[2])} block")
        return (f"{', '.join(parts)} ({int(getattr(result, 'ballots', 0))} ballots, "
                f"quorum {p.quorum})")

    def _message(self, p: Proposal, status: str, why: Text | str | None = None) -> Text:
        """The announcement of a proposal's end, translated when it is sent."""
        vote = p.poll_number if p.poll_number is not None else "?"
        if status == "applied" and p.kind == "config":  # `why`: the new value as shown
            return _("Proposal #{number} passed (vote #{vote}): {key} is now {value}.",
                     number=p.number, vote=vote, key=p.target, value=why or "")
        if status == "applied":  # `why`: "AMOUNT CURRENCY to NAME"
            return _("Proposal #{number} passed (vote #{vote}): the treasury paid {payment}.",
                     number=p.number, vote=vote, payment=why or p.value)
        if status == "no_quorum":
            return _("Proposal #{number} fell short of its quorum ({quorum} ballots): nothing "
                     "changes.", number=p.number, quorum=p.quorum)
        if status == "rejected":
            return _("Proposal #{number} was rejected (vote #{vote}): nothing changes.",
                     number=p.number, vote=vote)
        if status == "cancelled":
            return _("Proposal #{number} was cancelled with its poll: nothing changes.",
                     number=p.number)
        if status == "superseded":
            return _("Proposal #{number} passed, but a moderator changed {key} meanwhile: "
                     "their change stands, the proposal is superseded.", number=p.number,
                     key=p.target)
        return _("Proposal #{number} passed but cannot be applied: {reason}", number=p.number,
                 reason=why or "")

    async def _record_end(self, tx: Tx, p: Proposal, status: str,
                          why: Text | str | None = None) -> None:
        """In the op that ends a proposal: its announcement goes to the outbox."""
        if p.room is not None:
            await self.bot.outbox.add(tx, "governance", f"governance:{p.id}:end",
                                      community=p.community, room=p.room,
                                      text=self._message(p, status, why))

    async def _after(self, proposal_id: int, applied: bool) -> None:
        """After the commit: the announcement, then the events."""
        await self.bot.outbox.deliver([f"governance:{proposal_id}:end"])
        final = await store.get(self.bot.db, proposal_id)
        assert final is not None
        if applied:
            await self.bot.hooks.notify("on_proposal_applied", bot=self.bot, proposal=final)
        await self.bot.hooks.notify("on_proposal_closed", bot=self.bot, proposal=final)

    async def _end(self, p: Proposal, old: str, status: str, outcome: str,
                   why: Text | str | None = None) -> None:
        """A proposal ends without effect (rejected, no quorum, superseded, refused)."""
        now = float(self.bot.now())

        async def op(tx: Tx) -> bool:
            if not await store.transition(tx, p.id, old, status, outcome, now):
                return False
            await self._record_end(tx, p, status, why)
            return True

        if await self.bot.db.atomic(op):
            await self._after(p.id, applied=False)

    async def _apply_config(self, p: Proposal, tally: str) -> None:
        """The new value, its audit entry and the status `applied`: one transaction."""
        settings = self.bot.settings
        if settings.shown(p.community, p.target) != p.prior:
            await self._end(p, "open", "superseded", f"{tally}; changed meanwhile")
            return
        try:
            value = await settings.check(p.community, p.target, p.value)
            veto = await self._refusal(p)
        except UserError as exc:
            await self._end(p, "open", "refused", f"{tally}; {exc}", exc.message)
            return
        if veto is not None:
            await self._end(p, "open", "refused", f"{tally}; vetoed: {veto}", veto)
            return
        now = float(self.bot.now())

        async def op(tx: Tx) -> bool:
            if not await store.transition(tx, p.id, "open", "applied", tally, now):
                return False
            await settings.store(tx, p.community, p.target, value)
            await self.bot.audit.record(
                p.community, None, "governance.config",
                f"{p.target} = {p.value[:100]} (by vote #{p.poll_number}, proposal "
                f"#{p.number})", tx=tx)
            await self._record_end(tx, p, "applied", settings.show(value))
            return True

        if not await self.bot.db.atomic(op):
            return
        await settings.remember(p.community, p.target, value)
        await self._after(p.id, applied=True)

    async def _start_spend(self, p: Proposal, tally: str) -> None:
        """Caps and vetoes checked again at close; then `paying` and the payment."""
        c = self.constitution(p.community)
        since = float(self.bot.now()) - c.spend_period.total_seconds()
        spent = await store.spent_since(self.bot.db, p.community, since, ("paying", "applied"))
        why: Text | str | None = None
        if p.amount > c.spend_max:
            why = _("the constitution now allows at most {max} per proposal.", max=c.spend_max)
        elif c.spend_period_max > 0 and spent + p.amount > c.spend_period_max:
            why = _("the period's spending cap ({max}) would be exceeded.",
                    max=c.spend_period_max)
        else:
            why = await self._refusal(p)
        if why is not None:
            await self._end(p, "open", "refused", f"{tally}; {why}", why)
            return
        now = float(self.bot.now())
        if await self.bot.db.atomic(
                lambda tx: store.transition(tx, p.id, "open", "paying", tally, now)):
            paying = await store.get(self.bot.db, p.id)
            assert paying is not None
            await self.pay(paying)

    async def pay(self, p: Proposal) -> None:
        """Pay a `paying` proposal once (the ledger ref is the proposal), then end it: to a
        member (`award_tokens`), or into an idea's open funding round."""
        member_id = p.member_id
        ref = f"governance:{p.id}"
        try:
            if member_id is not None:
                paid: object = await self.bot.hooks.first(
                    "award_tokens", bot=self.bot, community=p.community, member_id=member_id,
                    amount=p.amount, reason=SPEND_REASON, ref=ref)
            else:
                paid = await self.bot.hooks.first(
                    "fund_round_from_treasury", bot=self.bot, community=p.community,
                    idea_id=int(p.target.removeprefix("idea:")), amount=p.amount,
                    reason=SPEND_REASON, ref=ref,
                    memo=f"proposal #{p.number}, idea {p.prior}")
        except UserError as exc:  # the treasury fell short (or a plugin vetoed the transfer)
            await self._end(p, "paying", "refused", f"{p.outcome}; {exc}", exc.message)
            return
        if paid is None and member_id is None:
            await self._end(p, "paying", "refused", f"{p.outcome}; no open funding round",
                            _("idea {idea} has no open funding round any more.", idea=p.prior))
            return
        if paid is None:
            await self._end(p, "paying", "refused", f"{p.outcome}; tips unavailable",
                            _("the tips plugin is not available."))
            return
        now = float(self.bot.now())
        found = await self.bot.hooks.first("get_currency", bot=self.bot, community=p.community)
        name, decimals = found if found else ("", 0)
        if member_id is not None:
            who = (await self.bot.identity.names([member_id])).get(member_id, f"#{member_id}")
            payment = _("{amount} {currency} to {member}", amount=fmt_amount(p.amount, decimals),
                        currency=name, member=who)
        else:
            payment = _("{amount} {currency} into the funding round of idea {idea}",
                        amount=fmt_amount(p.amount, decimals), currency=name, idea=p.prior)

        async def op(tx: Tx) -> bool:
            if not await store.transition(tx, p.id, "paying", "applied", p.outcome, now):
                return False
            await self.bot.audit.record(
                p.community, None, "governance.spend",
                f"{payment} (by vote #{p.poll_number}, proposal #{p.number})", tx=tx)
            await self._record_end(tx, p, "applied", payment)
            return True

        if await self.bot.db.atomic(op):
            await self._after(p.id, applied=True)

    async def sweep(self) -> None:
        """What a crash or a failed handler left: payments in flight are finished (idempotent
        on their ref), and open proposals whose poll has ended are decided from its result."""
        for p in await store.in_status(self.bot.db, "paying"):
            try:
                await self.pay(p)
            except Exception:
                log.exception("paying proposal %s failed", p.id, extra={"plugin": "governance"})
        overdue = await store.overdue(self.bot.db, float(self.bot.now()) - OVERDUE_GRACE)
        for community in sorted({p.community for p in overdue}):
            try:
                await self._catch_up(community, {p.poll_id for p in overdue
                                                 if p.community == community})
            except Exception:
                log.exception("deciding overdue proposals failed", extra={
                    "plugin": "governance", "community": community})

    async def _catch_up(self, community: str, poll_ids: set[int | None]) -> None:
        """Ended polls of open proposals, read through the votes plugin's read hooks."""
        polls = await self.bot.hooks.first("list_polls", bot=self.bot, community=community,
                                           statuses=("closed", "cancelled"), limit=1000)
        for poll in polls or ():
            if getattr(poll, "id", None) not in poll_ids:
                continue
            if poll.status == "cancelled":
                await self.poll_cancelled(poll)
                continue
            result = await self.bot.hooks.first("poll_tally", bot=self.bot, poll=poll)
            if result is not None:
                await self.poll_closed(poll, result)
