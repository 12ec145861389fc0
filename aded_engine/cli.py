"""``aded``: the engine from a terminal.

    aded models list                        the catalog: size, memory, licence, speed here
    aded models fetch NAME                  download and verify a catalog model, print its path
    aded models quantize IN OUT [--type q4_0]
    aded chat --model PATH [--no-aded]      interactive chat with live statistics
    aded generate --model PATH "prompt"     one reply, statistics on stderr
    aded generate --attach FILE... "prompt" a reply about documents (chat takes --attach too)
    aded import-corpus --model PATH FILE... seed the tri-gram table with your documents
    aded serve [--model PATH] [--host 127.0.0.1] [--port 8080] [--api-key KEY]
                                            an OpenAI-compatible API on the model
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .backend import BackendSettings, ModelLoadError, quantize
from .documents.extract import DocumentError
from .documents import document_tokens
from .documents.turns import DocumentTurns, read_attachments
from .catalog import CATALOG, DEFAULT_MODEL, find
from .model_speeds import measured_speed
from .models import ModelFetchError, fetch_model, installed_path, partial_bytes, resolve_model
from .paths import set_data_dir
from .proposer import AdedSettings
from .sampling import SamplingSettings
from .session import ChatSession, ContextOverflowError, SessionSettings
from .teaching import teach_file


def _session(args) -> ChatSession:
    model = str(resolve_model(args.model, log=lambda m: print(m, file=sys.stderr)))
    print(f"loading {Path(model).name}...", file=sys.stderr, flush=True)
    settings = SessionSettings(
        backend=BackendSettings(n_ctx=args.ctx, n_threads=args.threads, n_gpu_layers=args.gpu_layers),
        aded=AdedSettings(enabled=not args.no_aded))
    session = ChatSession(model, settings)
    if session.load_note:
        print(f"note: {session.load_note}", file=sys.stderr)
    for problem in session.table_problems:
        print(f"note: {problem}", file=sys.stderr)
    return session


def _sampling(args) -> SamplingSettings:
    return SamplingSettings(temperature=args.temperature, seed=args.seed, max_tokens=args.max_tokens)


def _print_stats(reply, as_json: bool) -> None:
    s = reply.stats.summary()
    if as_json:
        print(json.dumps(s), file=sys.stderr)
        return
    speedup = "too short to measure" if s["speedup"] is None else f"{s['speedup']:.2f}x plain"
    print(f"[{s['tokens']} tokens · {s['tokens_per_s']:.1f} tok/s · {s['tokens_per_call']:.2f} "
          f"tokens per model call · {s['acceptance_rate']:.0%} of drafted tokens accepted · "
          f"{speedup} · ended: {s['finish_reason']}]", file=sys.stderr)


def cmd_list(args) -> int:
    for m in CATALOG:
        path, kept = installed_path(m), partial_bytes(m)
        if path:
            state = "installed"
        elif kept:
            state = f"{kept / m.size:.0%} downloaded (fetch resumes)"
        else:
            state = "not downloaded"
        speed = measured_speed(path) if path else None
        print(f"{m.name}{'  (default)' if m is DEFAULT_MODEL else ''}\n"
              f"    {m.title}: {m.good_for}\n"
              f"    {m.size / 2**20:,.0f} MB, about {m.memory / 2**30:.1f} GiB of memory, "
              f"licence {m.licence}; {m.packaged_by}\n"
              f"    {state}" + (f"; measured here: {speed.plain_tokens_per_s:.1f} tok/s plain, "
                                f"{speed.speedup:.2f}x with ADED over {speed.replies} replies"
                                if speed else ""))
    return 0


def cmd_fetch(args) -> int:
    model = find(args.name)
    if model is None:
        names = ", ".join(m.name for m in CATALOG)
        print(f"error: no model called {args.name!r} in the catalog ({names})", file=sys.stderr)
        return 2
    print(fetch_model(model, log=lambda m: print(m, file=sys.stderr), progress=_fetch_progress))
    return 0


def _fetch_progress(done: int, total: int) -> None:
    print(f"\r{done / 2**20:,.0f} / {total / 2**20:,.0f} MB", end="\n" if done == total else "",
          file=sys.stderr, flush=True)


def cmd_quantize(args) -> int:
    quantize(Path(args.input), Path(args.output), args.type)
    print(args.output)
    return 0


def _document_turns(session, documents) -> DocumentTurns:
    turns = DocumentTurns(session, documents)
    for doc in documents.values():
        print(f"attached {doc.name}: {document_tokens(session, doc):,} tokens", file=sys.stderr)
    return turns


def _ask(turns: DocumentTurns, history: list[dict], question: str, args):
    """One reply to ``question``; returns (the user message as sent, the reply)."""
    turn = turns.next(history, question, args.max_tokens)
    for note in turn.notes:
        print(note, file=sys.stderr)
    reply = turns.session.generate(turn.messages, _sampling(args),
                                   on_event=lambda ev: print(ev.text, end="", flush=True),
                                   on_prefill=_prefill_progress)
    return turn.content, reply


def _prefill_progress(p) -> None:
    """A long prompt (documents) is read in pieces: say how far, on one stderr line."""
    if p.total >= 1024:
        print(f"\rreading the prompt: {p.done:,} of {p.total:,} tokens", file=sys.stderr,
              end="\n" if p.done == p.total else "", flush=True)


def cmd_generate(args) -> int:
    documents = read_attachments(args.attach)  # a bad file is told before the model loads
    session = _session(args)
    _, reply = _ask(_document_turns(session, documents), [], args.prompt, args)
    print()
    _print_stats(reply, args.json_stats)
    return 0


def cmd_chat(args) -> int:
    documents = read_attachments(args.attach)
    session = _session(args)
    print(f"{session.info['model']} on {session.info['device']} -- empty line or Ctrl-D quits",
          file=sys.stderr)
    turns = _document_turns(session, documents)
    messages: list[dict] = []
    while True:
        try:
            line = input("> ")
        except EOFError:
            break
        if not line.strip():
            break
        try:
            content, reply = _ask(turns, messages, line, args)
        except ContextOverflowError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        print()
        _print_stats(reply, args.json_stats)
        messages += [{"role": "user", "content": content},
                     {"role": "assistant", "content": reply.text}]
        session.learn_exchange([line, reply.text])
    return 0


def cmd_import(args) -> int:
    """Each file becomes one document of the corpus table (Model > Teach from documents
    lists and removes them); a file that is not text is reported and skipped."""
    session = _session(args)
    n, failed = 0, 0
    for name in args.files:
        try:
            taught = teach_file(session, Path(name))
        except DocumentError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        for note in taught.notes:
            print(f"note: {note}", file=sys.stderr)
        n += taught.tokens
    print(f"learned {n} tokens into the corpus table of {session.info['model']}")
    return 1 if failed else 0


def cmd_serve(args) -> int:
    # imported here: the web stack is needed by this command only
    from .server.api import ServerConfig, model_ids
    from .server.host import SessionHost
    from .server.serve import ApiServer, check_binding
    config = ServerConfig(args.host, args.port, args.api_key, aded=not args.no_aded,
                          learn=not args.no_learn, max_waiting=args.queue)
    check_binding(config)  # before the model loads: a refused address costs nothing
    session = _session(args)
    host = SessionHost(session)
    server = ApiServer(host, config, lambda r: print(r.line(), file=sys.stderr, flush=True))
    print(f"serving {model_ids(host)[0]} at {server.address} "
          f"({'ADED' if config.aded else 'plain decoding'}; Ctrl-C stops)", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    finally:
        session.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="aded", description="ADED decoding for GGUF models")
    parser.add_argument("--data-dir", help="keep tables, caches and settings under this folder")
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="the model catalog and quantization").add_subparsers(
        dest="models_command", required=True)
    models.add_parser("list", help="the catalog: what each model is for, its size, memory, "
                      "licence, and its speed measured here").set_defaults(func=cmd_list)
    fetch = models.add_parser("fetch", help="download (or resume) and verify a catalog model; "
                              "prints its path")
    fetch.add_argument("name", help=", ".join(m.name for m in CATALOG))
    fetch.set_defaults(func=cmd_fetch)
    q = models.add_parser("quantize", help="re-quantize a GGUF (e.g. q4_0 for cheaper batches)")
    q.add_argument("input")
    q.add_argument("output")
    q.add_argument("--type", default="q4_0")
    q.set_defaults(func=cmd_quantize)

    def load_args(p):
        p.add_argument("--model", help="a catalog name (aded models list) or a GGUF file "
                       f"(default: {DEFAULT_MODEL.name}, fetched if missing)")
        p.add_argument("--ctx", type=int, default=4096,
                       help="context size in tokens: prompt and reply together (default 4096)")
        p.add_argument("--threads", type=int,
                       help="CPU threads for llama.cpp (default: the physical cores)")
        p.add_argument("--gpu-layers", type=int, default=0,
                       help="layers offloaded to the GPU of a CUDA or Metal build (default 0)")
        p.add_argument("--no-aded", action="store_true", help="plain decoding")

    def model_args(p):
        load_args(p)
        p.add_argument("--temperature", type=float, default=0.0,
                       help="0 (the default) decodes greedily; higher samples more freely")
        p.add_argument("--seed", type=int, help="seed of the sampler, for a repeatable reply")
        p.add_argument("--max-tokens", type=int, default=512,
                       help="the longest reply in tokens (default 512)")
        p.add_argument("--json-stats", action="store_true",
                       help="print each reply's statistics as one JSON line (for scripts)")

    def attach_arg(p):
        p.add_argument("--attach", metavar="FILE", nargs="+", default=[],
                       help="documents (text, Markdown, code, CSV, JSON, HTML, PDF) the first "
                            "question is about; which parts were used goes to stderr")

    gen = sub.add_parser("generate", help="one reply to a prompt")
    model_args(gen)
    attach_arg(gen)
    gen.add_argument("prompt", nargs="?")
    gen.set_defaults(func=cmd_generate)
    chat = sub.add_parser("chat", help="chat in the terminal")
    model_args(chat)
    attach_arg(chat)
    chat.set_defaults(func=cmd_chat)
    imp = sub.add_parser("import-corpus", help="seed the table with text, Markdown, code or JSONL chats")
    model_args(imp)
    imp.add_argument("files", nargs="+")
    imp.set_defaults(func=cmd_import)

    serve = sub.add_parser("serve", help="an OpenAI-compatible API (chat completions) on the model")
    load_args(serve)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on; any but loopback needs --api-key")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--api-key", help="clients must send 'Authorization: Bearer KEY'")
    serve.add_argument("--queue", type=int, default=4,
                       help="requests that may wait behind the one being answered (more: 503)")
    serve.add_argument("--no-learn", action="store_true",
                       help="do not add answered exchanges to the history table")
    serve.set_defaults(func=cmd_serve)

    args = parser.parse_args(argv)
    if args.command == "generate" and args.prompt is None:
        # "--attach a.txt b.txt 'question'": argparse gives the question to --attach
        if not args.attach or Path(args.attach[-1]).exists():
            gen.error("the prompt is missing")
        args.prompt = args.attach.pop()
    set_data_dir(args.data_dir)
    try:
        return args.func(args)
    except (ModelLoadError, ModelFetchError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
