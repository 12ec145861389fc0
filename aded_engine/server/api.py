"""The OpenAI-compatible HTTP API over a ``SessionHost``: ``GET /v1/models`` and
``POST /v1/chat/completions`` (streamed as server-sent events ending with ``[DONE]``, or
whole), on FastAPI, served by uvicorn, streamed with sse-starlette: the stack that
llama-cpp-python's own server uses, so the clients that work with that one meet the same
HTTP behaviour here.

A request's life: the body is read up to ``max_body_bytes``, checked (openai_schema.py),
and takes a place in the host's bounded line (or is refused: 503); a thread of the pool
waits for the turn and decodes (completion.py); its text waits in the job until the event
loop collects it, every ``FLUSH_S``, into one SSE chunk. The decoder never wakes the loop: a
wake per verification step (``call_soon_threadsafe``) cost a core's worth of scheduling and
GIL hand-offs against llama.cpp's threads on every token, where twenty collections a second
cost nothing a reader can see. A client that disconnects, while waiting
or mid-stream, sets the job's stop event: the decoder stops before its next step and the
next request gets the model.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..chat_template import TemplateError
from .completion import Completion, complete
from .host import Busy, Cancelled, NoModel, SessionHost
from .openai_schema import ApiError, ChatRequest, parse_chat_request

FLUSH_S = 0.05  # how often a stream collects the text its decoder made meanwhile
COMPACT = (",", ":")  # JSON separators of SSE chunks: no spaces


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    aded: bool = True  # False: the same server decoding plainly (one token per call)
    learn: bool = True  # finished replies go into the history table, as the app's do
    max_body_bytes: int = 4 * 2**20
    max_waiting: int = 4  # requests in line behind the one being answered; more: 503


@dataclass
class RequestRecord:
    """One answered (or refused) request, for the app's log and ``aded serve``'s output."""

    at: float  # time.time() when it arrived
    client: str
    status: int  # HTTP status
    stream: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""  # "stop" | "length" | "cancelled"; "" for refused requests
    tokens_per_s: float = 0.0
    speedup: float | None = None
    error: str = ""

    def line(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.at))
        if self.error:
            return f"{when} {self.client} {self.status} {self.error}"
        speed = "" if self.speedup is None else f", {self.speedup:.2f}x"
        return (f"{when} {self.client} {self.status} {'stream ' if self.stream else ''}"
                f"{self.prompt_tokens}+{self.completion_tokens} tokens, "
                f"{self.tokens_per_s:.1f} tok/s{speed} ({self.finish_reason})")


class Job:
    """One request's decoding, run on a pool thread; the event loop ``take``s its text."""

    def __init__(self, loop: asyncio.AbstractEventLoop, req: ChatRequest):
        self.loop, self.req = loop, req
        self.stop = threading.Event()
        self._text: list[str] = []  # made by the decoder, not yet taken by the stream
        self._text_lock = threading.Lock()
        self.started: asyncio.Future = loop.create_future()  # prompt tokens, or the error

    def run(self, host: SessionHost, ticket: int, config: ServerConfig) -> Completion:
        try:
            with host.turn(ticket, self.stop.is_set) as session:
                return complete(session, self.req, config.aded, self._emit, self.stop.is_set,
                                self._started, config.learn)
        except BaseException as exc:
            self.loop.call_soon_threadsafe(self._fail_start, exc)
            raise

    def _emit(self, text: str) -> None:
        with self._text_lock:
            self._text.append(text)

    def take(self) -> str:
        """The text made since the last ``take``."""
        with self._text_lock:
            text, self._text = "".join(self._text), []
        return text

    def _started(self, prompt_tokens: int) -> None:
        self.loop.call_soon_threadsafe(self.started.set_result, prompt_tokens)

    def _fail_start(self, exc: BaseException) -> None:
        if not self.started.done():
            self.started.set_exception(exc)


@dataclass
class _State:
    host: SessionHost
    config: ServerConfig
    on_record: Callable[[RequestRecord], None]
    pool: ThreadPoolExecutor
    jobs: set[Job] = field(default_factory=set)


def model_ids(host: SessionHost) -> list[str]:
    """The served model's ids: its file name without ``.gguf`` first, then the file name."""
    session = host.session
    if session is None:
        return []
    name = session.backend.path.name
    return [name.removesuffix(".gguf"), name]


def create_app(host: SessionHost, config: ServerConfig,
               on_record: Callable[[RequestRecord], None] = lambda r: None) -> FastAPI:
    app = FastAPI(title="ADED Chat local server", docs_url=None, redoc_url=None,
                  openapi_url=None)
    state = _State(host, config, on_record,
                   ThreadPoolExecutor(config.max_waiting + 2, thread_name_prefix="aded-serve"))
    app.state.aded = state

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError):
        return JSONResponse(exc.body(), exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        kind = "not_found" if exc.status_code == 404 else None
        return JSONResponse(ApiError(exc.status_code, str(exc.detail), code=kind).body(),
                            exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError):
        return JSONResponse(ApiError(400, str(exc)).body(), 400)

    @app.get("/v1/models")
    async def models(request: Request):
        _authorize(request, config)
        session = host.session
        created = int(session.backend.path.stat().st_mtime) if session else 0
        return {"object": "list", "data": [
            {"id": i, "object": "model", "created": created, "owned_by": "local"}
            for i in model_ids(host)[:1]]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        client = request.client.host if request.client else "?"
        record = RequestRecord(time.time(), client, 200)
        try:
            _authorize(request, config)
            req = parse_chat_request(await _read_body(request, config.max_body_bytes))
            record.stream = req.stream
            return await _answer(request, state, req, record)
        except ApiError as exc:
            record.status, record.error = exc.status, exc.message
            on_record(record)
            raise

    return app


def _authorize(request: Request, config: ServerConfig) -> None:
    if config.api_key is None:
        return
    given = request.headers.get("authorization", "")
    scheme, _, key = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(),
                                                             config.api_key.encode()):
        raise ApiError(401, "Incorrect or missing API key: send 'Authorization: Bearer KEY' "
                       "with the key given to the server.", code="invalid_api_key")


async def _read_body(request: Request, limit: int) -> bytes:
    too_big = ApiError(413, f"The request body is larger than {limit} bytes.",
                       code="request_too_large")
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def _answer(request: Request, state: _State, req: ChatRequest, record: RequestRecord):
    host = state.host
    ids = model_ids(host)
    if not ids:
        raise _api_error(NoModel())
    if req.model not in ids:
        raise ApiError(404, f"The model '{req.model}' does not exist here; this server has "
                       f"'{ids[0]}'.", param="model", code="model_not_found")
    try:
        ticket = host.join(state.config.max_waiting)
    except Busy as exc:
        raise ApiError(503, f"{str(exc).capitalize()}; try again shortly.", "server_error",
                       code="server_busy", headers={"Retry-After": "1"}) from None
    loop = asyncio.get_running_loop()
    job = Job(loop, req)
    state.jobs.add(job)
    done = loop.run_in_executor(state.pool, job.run, host, ticket, state.config)
    done.add_done_callback(lambda f: (state.jobs.discard(job),
                                      f.cancelled() or f.exception()))  # seen: no warning
    try:
        record.prompt_tokens = await _unless_disconnected(request, job, job.started)
    except (_Disconnected, Cancelled):  # the client left while waiting
        return _closed(record, state, done)
    except Exception as exc:
        raise _api_error(exc) from None
    reply_id = f"chatcmpl-{uuid.uuid4().hex}"
    if req.stream:
        return EventSourceResponse(_chunks(job, done, req, reply_id, ids[0], record, state),
                                   sep="\n", ping=15)
    try:
        completion = await _unless_disconnected(request, job, done)
    except _Disconnected:
        return _closed(record, state, done)
    except Exception as exc:
        raise _api_error(exc) from None
    _finish_record(record, completion, state)
    return {"id": reply_id, "object": "chat.completion", "created": int(record.at),
            "model": ids[0], "choices": [{
                "index": 0, "message": {"role": "assistant", "content": completion.text},
                "finish_reason": completion.finish_reason, "logprobs": None}],
            "usage": completion.usage(), "aded": completion.aded_stats()}


class _Disconnected(Exception):
    pass


def _api_error(exc: Exception) -> ApiError:
    """What went wrong in a job, as the API says it."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, NoModel):
        return ApiError(503, "No model is loaded.", "server_error", code="model_not_loaded")
    if isinstance(exc, TemplateError):  # e.g. roles that do not alternate, for this model
        return ApiError(400, f"This model's chat template refused the messages: {exc}",
                        param="messages")
    return ApiError(500, f"{type(exc).__name__}: {exc}", "server_error")


async def _unless_disconnected(request: Request, job: Job, awaited: asyncio.Future):
    """``awaited``'s result, unless the client disconnects first: then the job is told to
    stop and ``_Disconnected`` is raised."""
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({watcher, awaited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if not awaited.done():
        job.stop.set()
        raise _Disconnected()
    return awaited.result()


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _closed(record: RequestRecord, state: _State, done: asyncio.Future):
    """The client is gone (499 in the log, as nginx writes it); the job was told to stop and
    is logged when it has, with the tokens it made until then."""
    record.status, record.finish_reason = 499, "cancelled"
    done.add_done_callback(lambda f: _finish_record(
        record, f.result() if not (f.cancelled() or f.exception()) else None, state))
    return JSONResponse({}, 499)


async def _chunks(job: Job, done: asyncio.Future, req: ChatRequest, reply_id: str, model: str,
                  record: RequestRecord, state: _State):
    """The SSE events of one streamed reply: the role, the text as it is verified (what
    was made within one ``FLUSH_S`` goes out as one chunk), the finish reason with ADED's numbers,
    usage if asked, ``[DONE]``."""
    head = {"id": reply_id, "object": "chat.completion.chunk", "created": int(record.at),
            "model": model}

    def chunk(delta: dict, finish: str | None = None, **extra) -> dict:
        return {"data": json.dumps({**head, "choices": [
            {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra},
            separators=COMPACT)}

    try:
        yield chunk({"role": "assistant", "content": ""})
        ended = False
        while not ended:
            await asyncio.wait({done}, timeout=FLUSH_S)
            ended = done.done()  # its text is all in the job now
            text = job.take()
            if text:
                yield chunk({"content": text})
        try:
            completion: Completion = await done
        except Exception as exc:  # after the 200 went out: the error travels as an event
            error = _api_error(exc)
            record.status, record.error = error.status, error.message
            state.on_record(record)
            yield {"data": json.dumps(error.body())}
            return
        _finish_record(record, completion, state)
        yield chunk({}, completion.finish_reason, aded=completion.aded_stats())
        if req.include_usage:
            yield {"data": json.dumps({**head, "choices": [], "usage": completion.usage()},
                                      separators=COMPACT)}
        yield {"data": "[DONE]"}
    finally:
        if not done.done():  # the client went away mid-stream
            job.stop.set()
            _closed(record, state, done)


def _finish_record(record: RequestRecord, completion: Completion | None, state: _State) -> None:
    if completion is not None:
        s = completion.stats
        record.completion_tokens = completion.completion_tokens
        record.finish_reason = completion.finish_reason
        record.tokens_per_s = s.tokens_per_s
        record.speedup = s.speedup
    state.on_record(record)
