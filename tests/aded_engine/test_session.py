"""ChatSession on the real demo model: fitting a conversation to the context, reusing the KV
cache across turns, telling the caller the fit, learning and forgetting through the session."""

import pytest

from aded_engine.backend import BackendSettings
from aded_engine.chat_template import ChatFormatter, TemplateError
from aded_engine.paths import tables_dir
from aded_engine.sampling import SamplingSettings
from aded_engine.session import ChatSession, ContextOverflowError, FitResult, SessionSettings
from aded_engine.trigram import ctx_key


def test_on_fit_hears_the_real_fit_before_the_first_token(session):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi."}]
    heard = []
    reply = session.generate(messages, SamplingSettings(max_tokens=8), on_fit=heard.append,
                             on_event=heard.append)
    assert isinstance(heard[0], FitResult) and heard[0] is reply.fit
    assert heard[0].prompt_tokens == session.prompt_tokens(messages)
    assert heard[0].messages == messages and heard[0].dropped == 0
    assert len(heard) > 1 and not any(isinstance(h, FitResult) for h in heard[1:])


def test_a_reply_to_a_token_prompt_has_no_fit(session):
    prompt = session.prompt_tokens([{"role": "user", "content": "Say hi."}])
    reply = session.generate_from_tokens(prompt, SamplingSettings(max_tokens=4))
    assert reply.fit is None and reply.stats.tokens > 0


def test_overflow_is_raised_before_on_fit(session):
    heard = []
    with pytest.raises(ContextOverflowError, match="context holds 2048"):
        session.generate([{"role": "user", "content": "word " * 3000}],
                         SamplingSettings(max_tokens=32), on_fit=heard.append)
    assert heard == []


def test_follow_up_evaluates_only_new_tokens(session):
    messages = [{"role": "user", "content": "Name a colour."}]
    first = session.generate(messages, SamplingSettings(max_tokens=16))
    messages += [{"role": "assistant", "content": first.text},
                 {"role": "user", "content": "And another one?"}]
    prompt = session.prompt_tokens(messages)
    session.generate(messages, SamplingSettings(max_tokens=8))
    assert 0 < session.last_prefill < 20 < len(prompt)


def test_context_guard_drops_oldest_turns_but_keeps_system(demo_model_path):
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=256, n_threads=2)))
    long = "word " * 60
    messages = [{"role": "system", "content": "Be brief."}]
    for i in range(4):
        messages += [{"role": "user", "content": f"{i} {long}"}, {"role": "assistant", "content": long}]
    messages.append({"role": "user", "content": "Say hi."})
    fit = s.fit(messages, max_tokens=32)
    assert fit.dropped > 0
    assert fit.messages[0]["role"] == "system" and fit.messages[-1]["content"] == "Say hi."
    reply = s.generate(messages, SamplingSettings(max_tokens=8))
    assert reply.fit.dropped == fit.dropped and reply.stats.tokens > 0
    with pytest.raises(ContextOverflowError, match="context holds 256"):
        s.fit([{"role": "user", "content": long * 5}], max_tokens=32)
    s.close()


# Mistral's check, in its own words: after the system prompt, user and assistant alternate
ALTERNATING = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{% set loop_messages = messages[1:] %}[SYS]{{ messages[0]['content'] }}"
    "{% else %}{% set loop_messages = messages %}{% endif %}"
    "{% for m in loop_messages %}"
    "{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}")


def test_fitting_drops_a_user_turn_with_its_reply_so_roles_still_alternate(demo_model_path):
    s = ChatSession(demo_model_path, SessionSettings(backend=BackendSettings(n_ctx=256, n_threads=2)))
    s.formatter = ChatFormatter(ALTERNATING, s.formatter.bos_token)
    long = "word " * 60
    messages = [{"role": "system", "content": "Be brief."}]
    for i in range(4):
        # short questions, long answers: dropping the question alone would fit, unpaired
        messages += [{"role": "user", "content": f"Question {i}?"},
                     {"role": "assistant", "content": f"{i} {long}"}]
    messages.append({"role": "user", "content": "Say hi."})
    with pytest.raises(TemplateError, match="must alternate"):  # the template does check
        s.prompt_tokens(messages[:1] + messages[2:])
    fit = s.fit(messages, max_tokens=32)
    assert fit.dropped > 0 and fit.dropped % 2 == 0
    assert [m["role"] for m in fit.messages[1:]] == ["user", "assistant"] * (
        (len(fit.messages) - 2) // 2) + ["user"]
    assert fit.messages == messages[:1] + messages[1 + fit.dropped:]
    reply = s.generate(messages, SamplingSettings(max_tokens=32))
    assert reply.fit.dropped == fit.dropped and reply.stats.tokens > 0
    s.close()


def test_session_learns_persists_and_forgets(demo_model_path):
    settings = SessionSettings(backend=BackendSettings(n_ctx=512, n_threads=2))
    s = ChatSession(demo_model_path, settings)
    secret = "The zebra password is violet-cactus-42."
    s.learn_exchange(["hello", secret])
    tokens = s.backend.tokenize(secret, parse_special=False)
    files = list(tables_dir().glob(f"{s.fingerprint}.history.adedtable"))
    assert len(files) == 1
    s.close()

    again = ChatSession(demo_model_path, settings)
    again.drafter.start(tokens[:2])
    assert again.drafter.distribution(tokens[0], tokens[1])[0][0] == tokens[2]
    again.forget_exchange(["hello", secret])
    assert again.learned.history.successors(ctx_key(tokens[0], tokens[1])) is None
    assert len(again.learned.history) == 0
    again.close()
    reloaded = ChatSession(demo_model_path, settings)
    assert len(reloaded.learned.history) == 0
    reloaded.close()
