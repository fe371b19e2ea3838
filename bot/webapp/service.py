"""The Mini App's pages and JSON API, served by the bot's one HTTP server (bot/server.py).

    GET  /app/ , /app/map/<chat>/<n>     the page (its script fetches the board)
    GET  /app/api/map/<chat>/<n>         the board, rendered on the server
    POST /app/api/map/<chat>/<n>         one edit (flows/edits.py) on the version shown
    POST /app/api/map/<chat>/<n>/tick    tick or untick a checklist item
    GET  /app/view/<signed link>         the map, read only, for a plain browser
    GET  /app/static/<file>              the page's style sheet and script

Every API call carries Telegram's initData (`Authorization: tma <initData>`), checked here
(401); a person sees the maps of their own private chat and of groups they are a member of,
asked of Telegram with getChatMember and remembered briefly (403). Bodies are capped (413),
requests counted per address and per person (429). An edit is saved as the map's next
version only when the person saw the current one; otherwise 409 with the map as it is now
and what the other change was."""

from __future__ import annotations

import json
import logging
import re
import time
from collections import deque
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from telegram import Bot, ChatMember
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import metrics, posts
from bot.config import Settings
from bot.replies import t, tr
from bot.webapp import initdata, links
from bot.webapp.initdata import InvalidInitData, WebAppUser
from bot.webapp.sessions import EditSessions, Session
from flows import edits
from flows.analysis import compare as compare_maps
from flows.model import Author, JourneyMap
from flows.spec import DEFAULT_LANGUAGE, pick_language
from renderers import webpage
from renderers.checklist import checklist_items, comparison_lines, render_text
from storage.records import StaleVersion, Unavailable

log = logging.getLogger(__name__)

PREFIX = "/app"
MAX_API_BODY = 16 * 1024  # bytes: one edit is a few hundred
# Refused sign-ins (a forged or stale initData, a wrong link) per minute from one address:
# behind a reverse proxy many people share one, so only failures count there.
PER_ADDRESS = (60, 60.0)
PER_PERSON = (120, 60.0)  # requests per minute by one signed-in person
MEMBER_KEPT = 60.0  # seconds a getChatMember answer is trusted
CHAT = re.compile(r"^-?\d{1,20}$")
NUMBER = re.compile(r"^\d{1,6}$")
MEMBERS = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}


class Refused(Exception):
    """An answer other than 200: its status and the message key (bot catalog)."""

    def __init__(self, status: int, key: str, **params: object) -> None:
        super().__init__(key)
        self.status, self.key, self.params = status, key, params


class Window:
    """At most `limit` hits per key in any `seconds`."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = {}

    def full(self, key: str) -> bool:
        """Whether the next hit would be refused (nothing counted)."""
        now = time.monotonic()
        hits = self._hits.get(key)
        return hits is not None and sum(1 for at in hits if at > now - self.seconds) >= self.limit

    def hit(self, key: str) -> bool:
        now = time.monotonic()
        if len(self._hits) > 10_000:  # forget the quiet ones rather than grow for ever
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.seconds}
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


def open_url(base: str, chat_id: str, number: int) -> str:
    """The Mini App's address for one map (a web_app button's URL)."""
    return f"{base.rstrip('/')}{PREFIX}/map/{chat_id}/{number}"


def view_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{PREFIX}/view/{token}"


def start_param(chat_id: str, number: int) -> str:
    """What a t.me direct link passes to the Mini App (`?startapp=`), read back by the page."""
    return f"c{chat_id}_{number}"


class WebApp:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Any = None
        self.bot: Bot | None = None
        self.courier: Any = None
        self.addresses = Window(*PER_ADDRESS)
        self.people = Window(*PER_PERSON)
        self._members: dict[tuple[str, int], tuple[float, bool]] = {}
        self.sessions = EditSessions(settings.webapp_session_idle, self._post_summary)

    def attach(self, store: Any, bot: Bot, courier: Any) -> None:
        self.store, self.bot, self.courier = store, bot, courier

    async def stop(self) -> None:
        await self.sessions.stop()

    def routes(self) -> list[BaseRoute]:
        """Everything under /app, compressed for phones on slow networks (a board is ~60 KB
        of HTML, ~6 KB gzipped)."""
        inside = [
            Route("/", self.page, methods=["GET"]),
            Route("/map/{chat}/{number}", self.page, methods=["GET"]),
            Route("/api/maps", self.api, methods=["GET"]),
            Route("/api/map/{chat}/{number}", self.api, methods=["GET", "POST"]),
            Route("/api/map/{chat}/{number}/tick", self.api, methods=["POST"]),
            Route("/view/{token}", self.view, methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
        ]
        gzipped = [Middleware(GZipMiddleware, minimum_size=1024)]
        return [Mount(PREFIX, app=Starlette(routes=inside, middleware=gzipped))]

    # --- pages ----------------------------------------------------------------------------

    async def page(self, request: Request) -> Response:
        html = webpage.page_html(
            lang=_accepted(request), static=f"{PREFIX}/static", api=f"{PREFIX}/api/map"
        )
        return HTMLResponse(html, headers=_page_headers())

    async def static(self, request: Request) -> Response:
        found = webpage.static_file(request.path_params["name"])
        if found is None:
            return Response(status_code=404)
        body, media_type = found
        return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})

    async def view(self, request: Request) -> Response:
        lang = _accepted(request)
        address = _address(request)
        if self.addresses.full(address):
            return HTMLResponse(tr(lang, "webapp.too_many"), status_code=429)
        try:
            link = links.check(request.path_params["token"], self.settings.token)
        except links.InvalidLink:
            self.addresses.hit(address)
            return HTMLResponse(tr(lang, "webapp.link_invalid"), status_code=403)
        if self.store is None:
            return HTMLResponse(tr(lang, "webapp.starting"), status_code=503)
        found = await self.store.run(lambda u: _read(u, link.chat_id, link.number))
        if found is None:
            return HTMLResponse(tr(lang, "webapp.not_found"), status_code=404)
        journey_map, version, ticked, before = found
        board = webpage.board_html(
            journey_map, version=version, ticked=ticked, before=before, editable=False
        )
        html = webpage.page_html(
            lang=journey_map.language,
            static=f"{PREFIX}/static",
            board=board,
            title=journey_map.title,
            read_only=True,
        )
        return HTMLResponse(html, headers=_page_headers())

    # --- the API --------------------------------------------------------------------------

    async def api(self, request: Request) -> Response:
        lang = _accepted(request)
        try:
            address = _address(request)
            if self.addresses.full(address):
                raise Refused(429, "webapp.too_many")
            try:
                user = self._user(request)
            except Refused:
                self.addresses.hit(address)
                raise
            lang = pick_language(user.language)
            if request.url.path == f"{PREFIX}/api/maps":
                return await self._list(user, lang)
            chat_id, number = _target(request)
            if not self.people.hit(str(user.id)):
                raise Refused(429, "webapp.too_many")
            if self.store is None or self.bot is None:
                raise Refused(503, "webapp.starting")
            await self._authorise(chat_id, user)
            if request.method == "GET":
                answer = await self._board(chat_id, number, user, lang)
            else:
                body = await _json_body(request)
                if request.url.path.endswith("/tick"):
                    answer = await self._tick(chat_id, number, user, lang, body)
                else:
                    answer = await self._edit(chat_id, number, user, lang, body)
            metrics.WEBAPP.labels(_outcome(answer.status_code, request.method)).inc()
            return answer
        except Unavailable:
            refused = Refused(503, "webapp.database_away")
        except Refused as problem:
            refused = problem
        except Exception:  # a bug: said plainly, never a bare 500 page
            log.exception("web app: %s %s failed", request.method, request.url.path)
            refused = Refused(500, "webapp.error")
        metrics.WEBAPP.labels(_outcome(refused.status, request.method)).inc()
        return JSONResponse(
            {"error": tr(lang, refused.key, **refused.params)},
            status_code=refused.status,
            headers={"Cache-Control": "no-store"},
        )

    async def _list(self, user: WebAppUser, lang: str) -> Response:
        """The maps of the person's private chat with the bot (the menu button opens this)."""
        if self.store is None:
            raise Refused(503, "webapp.starting")
        chat_id = str(user.id)
        listing = await self.store.run(lambda u: u.maps.listing(chat_id, page=1, per_page=100))
        maps = [
            {
                "number": m.number,
                "title": m.title,
                "kind": tr(lang, f"maptype.{m.map_type.value}"),
                "version": m.version,
                "date": m.updated_at.strftime("%Y-%m-%d"),
                "href": f"{PREFIX}/map/{chat_id}/{m.number}",
            }
            for m in listing.maps
        ]
        html = webpage.list_html(maps, lang)
        return JSONResponse({"version": 0, "html": html}, headers={"Cache-Control": "no-store"})

    def _user(self, request: Request) -> WebAppUser:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "tma":
            raise Refused(401, "webapp.unauthorised")
        try:
            return initdata.validate(
                given.strip(), self.settings.token, self.settings.webapp_max_age
            )
        except InvalidInitData as problem:
            log.info("web app: initData refused (%s)", problem)
            raise Refused(401, "webapp.unauthorised") from None

    async def _authorise(self, chat_id: str, user: WebAppUser) -> None:
        """Their own private chat, or a group they are a member of."""
        if not chat_id.startswith("-"):
            if chat_id != str(user.id):
                raise Refused(403, "webapp.forbidden")
            return
        key = (chat_id, user.id)
        known = self._members.get(key)
        if known is not None and known[0] > time.monotonic():
            member = known[1]
        else:
            member = await self._is_member(chat_id, user.id)
            if len(self._members) > 10_000:
                self._members.clear()
            self._members[key] = (time.monotonic() + MEMBER_KEPT, member)
        if not member:
            raise Refused(403, "webapp.forbidden")

    async def _is_member(self, chat_id: str, user_id: int) -> bool:
        assert self.bot is not None
        try:
            found: ChatMember = await self.bot.get_chat_member(int(chat_id), user_id)
        except (BadRequest, Forbidden):  # no such member, or the bot is no longer there
            return False
        except TelegramError as problem:
            log.warning("web app: getChatMember failed (%s)", problem)
            raise Refused(503, "webapp.telegram_away") from None
        return found.status in MEMBERS or bool(getattr(found, "is_member", False))

    async def _board(
        self,
        chat_id: str,
        number: int,
        user: WebAppUser,
        lang: str,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        found = await self.store.run(lambda u: _read(u, chat_id, number))
        if found is None:
            raise Refused(404, "webapp.not_found")
        journey_map, version, ticked, before = found
        html = webpage.board_html(
            journey_map,
            version=version,
            lang=lang,
            ticked=ticked,
            before=before,
            viewer_id=str(user.id),
        )
        return JSONResponse(
            {"version": version, "html": html, **(extra or {})},
            status_code=status,
            headers={"Cache-Control": "no-store"},
        )

    async def _edit(
        self, chat_id: str, number: int, user: WebAppUser, lang: str, body: dict[str, Any]
    ) -> Response:
        seen = body.pop("version", None)
        if not isinstance(seen, int) or isinstance(seen, bool):
            raise Refused(400, "webapp.bad_request")
        try:
            edit = edits.EDIT.validate_python(body)
        except ValidationError:
            raise Refused(400, "webapp.bad_request") from None
        author = Author(id=str(user.id), name=user.name)

        async def save(u):
            journey_map = await u.maps.get(chat_id, number)
            summary = await u.maps.summary(chat_id, number)
            if journey_map is None or summary is None:
                raise Refused(404, "webapp.not_found")
            if summary.version != seen:
                raise StaleVersion(summary.version)
            if await u.maps.being_edited(chat_id, number):  # its save would undo this one
                raise Refused(409, "webapp.edited_in_chat", number=number)
            stage = edits.apply(journey_map, edit, author)
            checked = JourneyMap.from_json(journey_map.to_json())  # every limit, once more
            await u.maps.save(chat_id, checked, number, expected_version=seen)
            return stage, checked.title

        try:
            stage, title = await self.store.run(save, lock=chat_id)
        except edits.EditError as problem:
            return JSONResponse(
                {"error": tr.render(problem.text, lang)},
                status_code=422,
                headers={"Cache-Control": "no-store"},
            )
        except ValidationError as problem:
            log.info("web app: an edit broke the map's rules: %s", problem)
            raise Refused(422, "webapp.bad_request") from None
        except StaleVersion:
            change = await self._other_change(chat_id, number, seen, lang)
            text = tr(lang, "webapp.conflict", change=change)
            return await self._board(chat_id, number, user, lang, 409, {"error": text})
        if chat_id.startswith("-"):
            self.sessions.record(chat_id, number, title, user.id, user.name, stage)
        return await self._board(chat_id, number, user, lang)

    async def _other_change(self, chat_id: str, number: int, seen: int, lang: str) -> str:
        async def read(u):
            return await u.maps.get(chat_id, number, seen), await u.maps.get(chat_id, number)

        old, new = await self.store.run(read)
        if old is None or new is None:
            return ""
        lines = [render_text(line, lang) for line in comparison_lines(compare_maps(old, new))]
        return "; ".join(lines[:5]) + (" …" if len(lines) > 5 else "")

    async def _tick(
        self, chat_id: str, number: int, user: WebAppUser, lang: str, body: dict[str, Any]
    ) -> Response:
        item, ticked = body.get("item"), body.get("ticked")
        if not isinstance(item, str) or not isinstance(ticked, bool):
            raise Refused(400, "webapp.bad_request")

        async def tick(u):
            journey_map = await u.maps.get(chat_id, number)
            if journey_map is None:
                raise Refused(404, "webapp.not_found")
            before = await u.maps.source_of(chat_id, number)
            known = {i.id for s in checklist_items(journey_map, before) for i in s.items}
            if item not in known:
                raise Refused(400, "webapp.bad_request")
            await u.maps.set_tick(chat_id, number, item, ticked, user.name)

        await self.store.run(tick, lock=chat_id)
        return await self._board(chat_id, number, user, lang)

    async def _post_summary(self, session: Session) -> None:
        async def post(u):
            lang = await u.chats.language(session.chat_id) or DEFAULT_LANGUAGE
            html = t(
                lang,
                "bot.webapp_summary",
                name=session.name,
                number=session.number,
                title=session.title,
                count=session.changes,
                stages=", ".join(session.stages),
            )
            await u.outbox.add(session.chat_id, posts.dump(posts.Message(html=html)))

        await self.store.run(post, lock=session.chat_id)
        self.courier.deliver_soon(session.chat_id)


async def _read(u, chat_id: str, number: int):
    """The map, its version, its ticks and the map it was copied from; None: no such map."""
    journey_map = await u.maps.get(chat_id, number)
    summary = await u.maps.summary(chat_id, number)
    if journey_map is None or summary is None:
        return None
    return (
        journey_map,
        summary.version,
        await u.maps.ticks(chat_id, number),
        await u.maps.source_of(chat_id, number),
    )


def _outcome(status: int, method: str) -> str:
    if status == 200:
        return "saved" if method == "POST" else "ok"
    if status == 409:
        return "conflict"
    return "failed" if status >= 500 else "refused"


def _target(request: Request) -> tuple[str, int]:
    chat, number = request.path_params["chat"], request.path_params["number"]
    if not CHAT.match(chat) or not NUMBER.match(number):
        raise Refused(404, "webapp.not_found")
    return chat, int(number)


async def _json_body(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_API_BODY):
        raise Refused(413, "webapp.too_large", limit=MAX_API_BODY // 1024)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_API_BODY:
                raise Refused(413, "webapp.too_large", limit=MAX_API_BODY // 1024)
    except ClientDisconnect:
        raise Refused(400, "webapp.bad_request") from None
    try:
        data = json.loads(body)
    except ValueError:
        raise Refused(400, "webapp.bad_request") from None
    if not isinstance(data, dict):
        raise Refused(400, "webapp.bad_request")
    return data


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _accepted(request: Request) -> str:
    """The browser's language, for answers given before we know who is asking."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
    return pick_language(first.strip().split("-")[0] or None)


def _page_headers() -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # the read-only link is the key: never passed on
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
        ),
    }
