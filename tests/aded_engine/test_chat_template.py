"""Chat templates come from model files, so they are untrusted: rendered in a sandbox, with
their own errors reported in words, within time and size limits, and ChatML when a model
has none."""

import sys
import time

import pytest

from aded_engine.chat_template import ChatFormatter, RenderLimits, TemplateError

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.mark.parametrize("template, unsafe", [
    # the classic escape from a template to every class of the interpreter
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "'__class__' of 'str'"),
    # the immutable sandbox: a template may not change what it is given
    ("{{ messages.append({'role': 'user', 'content': 'injected'}) }}", "'append' of 'list'"),
])
def test_the_sandbox_refuses_unsafe_attribute_access(template, unsafe):
    messages = [dict(m) for m in MESSAGES]
    with pytest.raises(TemplateError, match=f"template failed: access to attribute {unsafe}"):
        ChatFormatter(template).render(messages)
    assert messages == MESSAGES


def test_an_attribute_probe_renders_nothing_of_python():
    assert ChatFormatter("{{ messages.__class__ }}|{{ raise_exception.__globals__ }}").render(MESSAGES) == "|"


def test_raise_exception_in_a_template_is_its_own_message():
    template = ("{% if messages[0]['role'] == 'system' %}"
                "{{ raise_exception('System role not supported') }}{% endif %}")
    with pytest.raises(TemplateError, match="^System role not supported$"):
        ChatFormatter(template).render(MESSAGES)


def test_a_template_that_does_not_parse_says_so():
    with pytest.raises(TemplateError, match="does not parse"):
        ChatFormatter("{% for m in %}")


def test_a_model_without_template_gets_chatml():
    formatter = ChatFormatter(None)
    assert formatter.is_fallback
    assert formatter.render(MESSAGES) == ("<|im_start|>system\nBe brief.<|im_end|>\n"
                                          "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert formatter.render(MESSAGES, add_generation_prompt=False).endswith("Hi<|im_end|>\n")


def test_the_models_own_template_gets_bos_and_generation_prompt():
    formatter = ChatFormatter("{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}"
                              "{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}",
                              bos_token="<s>")
    assert not formatter.is_fallback
    assert formatter.render(MESSAGES) == "<s>[system]Be brief.[user]Hi[assistant]"


FAST = RenderLimits(seconds=0.5)


@pytest.mark.parametrize("template", [
    # an empty nested loop: 10^10 steps that build nothing and call nothing per step
    "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "{% for a in range(100000) %}{% for b in messages * 100000 %}{{ b.role }}{% endfor %}"
    "{% endfor %}",
])
def test_a_template_that_runs_long_is_stopped_at_its_time_limit(template):
    started = time.monotonic()
    with pytest.raises(TemplateError, match="ran longer than 0.5 s"):
        ChatFormatter(template, limits=FAST).render(MESSAGES)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("template", [
    "{{ 'x' * 200000000 }}",  # one operation, refused before it allocates
    "{{ 'x'.ljust(200000000) }}",
    "{{ 'x' | center(200000000) }}",
    "{{ 10 ** (10 ** 10) }}",
    "{% for a in range(100000) %}{{ 'y' * 99999 }}{% endfor %}",  # counted as it streams
])
def test_a_template_that_builds_a_huge_string_is_refused(template):
    with pytest.raises(TemplateError, match="builds more than 1,000,044 characters"):
        ChatFormatter(template, limits=FAST).render(MESSAGES)


def test_the_size_limit_grows_with_the_conversation():
    # twice the text (a template may repeat the system prompt per turn) is fine
    big = [{"role": "user", "content": "z" * 2_000_000}]
    assert len(ChatFormatter("{{ messages[0].content * 2 }}").render(big)) == 4_000_000


def test_endless_recursion_in_a_macro_is_an_error_in_words():
    with pytest.raises(TemplateError, match="RecursionError"):
        ChatFormatter("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}").render(MESSAGES)


def test_the_limits_leave_a_tracer_as_it_was():
    def tracer(frame, event, arg):
        return None
    sys.settrace(tracer)
    try:
        ChatFormatter(None).render(MESSAGES)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(None)
