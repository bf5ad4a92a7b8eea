"""The workshop authenticator: the people on the class list, each with their own password; nobody else.

There is no sign-up page: the organiser adds people with ``graders hub add-class`` (a CSV of names and languages),
which makes a password for everyone who has none and writes them to a slip to hand out. The roster and the password
hashes are read at each login, so people added while the hub runs can log in at once. Group membership (nbgrader's
``nbgrader-<course>`` for learners, ``formgrade-<course>`` for the instructor) follows the roster at each login.
"""
from __future__ import annotations

import asyncio

from jupyterhub.auth import Authenticator
from traitlets import Unicode

from .roster import HubState, instructor_group, learner_group, verify_password


class WorkshopAuthenticator(Authenticator):
    state_dir = Unicode("", help="The hub's state folder (roster.json and passwords.json in its hub/).").tag(config=True)

    # Who may log in is the roster itself; JupyterHub need not warn about a missing allow list.
    any_allow_config = True

    def _state(self) -> HubState:
        return HubState(self.state_dir or None)

    async def authenticate(self, handler, data):
        username = self.normalize_username((data or {}).get("username", "").strip())
        password = (data or {}).get("password", "")
        state = self._state()
        roster = state.load_roster()
        member = roster.get(username)
        stored = state.load_passwords().get(username)
        if member is None or not stored or not password:
            self.log.warning("Login refused for %r: not on the class list or no password", username)
            return None
        # PBKDF2 takes about 0.1 s: keep the hub's event loop free while twenty people log in at once.
        ok = await asyncio.get_running_loop().run_in_executor(None, verify_password, password, stored)
        if not ok:
            self.log.warning("Login refused for %r: wrong password", username)
            return None
        course = state.course
        group = instructor_group(course) if member.is_instructor else learner_group(course)
        return {"name": username, "groups": [group], "admin": False}

    def check_allowed(self, username, authentication=None):
        return username in self._state().load_roster()

    def validate_username(self, username):
        from .roster import USERNAME

        return bool(USERNAME.match(username)) and super().validate_username(username)
