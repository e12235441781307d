"""End-to-end encryption upkeep: key uploads and queries, and the trust policy for devices.

nio shares a room key only with devices that are verified, ignored or (when asked) unverified;
this module decides which, per `[platforms.matrix] trust` (docs/matrix.md, "Trust policy").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from nio import AsyncClient

from bot.adapters.matrix import TRUSTED_DEVICE, TrustPolicy

log = logging.getLogger("ruche.matrix")


def parse_trusted(specs: Iterable[str]) -> dict[tuple[str, str], str | None]:
    """`"@user:server DEVICE [ED25519]"` entries → {(user, device): fingerprint or None}."""
    trusted: dict[tuple[str, str], str | None] = {}
    for spec in specs:
        match = TRUSTED_DEVICE.fullmatch(spec.strip())
        if match:
            trusted[(match.group(1), match.group(2))] = match.group(3)
    return trusted


async def housekeeping(client: AsyncClient) -> None:
    """What nio's sync_forever does between syncs: keys up, keys queried, sessions claimed."""
    if client.olm is None:
        return
    if client.outgoing_to_device_messages:
        await client.send_to_device_messages()
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())


class Trust:
    """Applies the trust policy to the devices of a room's members before keys are shared."""

    def __init__(self, policy: TrustPolicy, trusted_devices: Iterable[str]) -> None:
        self.policy = policy
        self.trusted = parse_trusted(trusted_devices)

    @property
    def share_with_unverified(self) -> bool:
        """`ignore_unverified_devices` for nio: every policy but verified-only tolerates them."""
        return self.policy != "verified-only"

    def apply(self, client: AsyncClient, users: Iterable[str]) -> None:
        """Trust, blacklist or leave each device of `users` according to the policy."""
        if client.olm is None:
            return
        for user in users:
            for device in list(client.device_store.active_user_devices(user)):
                if user == client.user_id and device.id == client.device_id:
                    continue
                self._decide(client, device)

    async def sender_trusted(self, client: AsyncClient, event: Any) -> bool:
        """verified-only: act on a decrypted event only if its device is trusted.

        The device is found by the curve25519 key of the Olm session that brought the room key
        (authenticated by Olm), so a device listed in `trusted_devices` after the key arrived
        counts too; its keys are fetched first when the bot has never seen it.
        """
        if self.policy != "verified-only" or not getattr(event, "decrypted", False):
            return True
        sender, sender_key = getattr(event, "sender", ""), getattr(event, "sender_key", "")
        device = client.device_store.device_from_sender_key(sender, sender_key)
        if device is None and client.should_query_keys:
            await client.keys_query()
            device = client.device_store.device_from_sender_key(sender, sender_key)
        if device is None:
            return False
        self._decide(client, device)
        return bool(device.verified)

    def _decide(self, client: AsyncClient, device: Any) -> None:
        key = (device.user_id, device.id)
        if key in self.trusted:
            fingerprint = self.trusted[key]
            if fingerprint is None or fingerprint == device.ed25519:
                if device.blacklisted:
                    client.unblacklist_device(device)
                if not device.verified:
                    client.verify_device(device)
            elif not device.blacklisted:
                log.warning("matrix: device %s of %s does not match its trusted fingerprint; "
                            "blacklisted", device.id, device.user_id)
                client.blacklist_device(device)
            return
        if self.policy == "tofu" and not (device.verified or device.blacklisted):
            # First sight of this device: trusted from now on. nio refuses a later change of
            # its signing key, so the device cannot be taken over silently.
            log.info("matrix: trusting new device %s of %s (tofu)", device.id, device.user_id)
            client.verify_device(device)
        elif self.policy == "verified-only" and not (device.verified or device.blacklisted):
            log.info("matrix: device %s of %s is not trusted; it gets no room keys "
                     "(verified-only)", device.id, device.user_id)
            client.blacklist_device(device)
