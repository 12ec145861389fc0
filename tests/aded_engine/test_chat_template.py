"""Chat templates come from model files, so they are untrusted: rendered in a sandbox, with
their own errors reported in words, within time and size limits, and ChatML when a model
has none."""

import subprocess
import sys
import time

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

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


# Templates that build one huge value (or many copies of a big one) in a single operation.
# Each is run in a child process whose address space is capped at 1.5 GB: without a check
# before the allocation, each would reach gigabytes (and fail with MemoryError, or be
# killed); with it, each is refused while the child stays small.
BIG = "{% set a = 'a' * 90000 %}{% set x = 'x' * 900000 %}"
HOSTILE = [
    "{{ '{:>3000000000}'.format('x') }}",
    "{{ '{:.3000000000f}'.format(1.0) }}",
    "{{ '{0:{1}}'.format('x', 3000000000) }}",
    "{{ '%3000000000s'|format('x') }}",
    "{{ '%3000000000s' % 'x' }}",
    "{{ '%.3000000000f' % 1.0 }}",
    BIG + "{{ ('{0}' * 1000).format(x) }}",
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    BIG + "{{ a|replace('a', a)|length }}",
    BIG + "{{ a.replace('a', a)|length }}",
    BIG + "{{ ([x] * 3000)|join|length }}",
    BIG + "{{ ''.join([x] * 3000)|length }}",
    BIG + "{{ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x }}",
    BIG + "{% set b %}{% for i in range(3000) %}{{ x }}{% endfor %}{% endset %}{{ b|length }}",
    BIG + "{% macro m() %}{% for i in range(3000) %}{{ x }}{% endfor %}{% endmacro %}"
    "{{ m()|length }}",
    "{{ [['x' * 1000] * 1000] * 1000 }}",  # a structure printed whole
    "{{ ([['x' * 1000] * 1000] * 1000)|tojson|length }}",
    BIG + "{{ ([{'c': x}] * 3000)|join(attribute='c')|length }}",
    "{{ ([[1] * 1000000] * 1000000)|sum(start=[])|length }}",
    "{{ ('\\n' * 900000)|indent(3000, blank=True)|length }}",
    "{{ ('\\t' * 900000).expandtabs(3000)|length }}",
]

CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1500 * 2**20, 1500 * 2**20))
from aded_engine.chat_template import ChatFormatter, RenderLimits, TemplateError
try:
    out = ChatFormatter(sys.argv[1], limits=RenderLimits(seconds=20)).render(
        [{"role": "user", "content": "Hi"}])
    print("RENDERED", len(out))
except TemplateError as exc:
    print("TemplateError:", exc)
except BaseException as exc:
    print("OTHER", type(exc).__name__, exc)
# VmHWM, not ru_maxrss: the latter survives exec and so counts the forking parent's size
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:"))
print("PEAK_MB", peak_kb // 1024)
"""


@pytest.mark.parametrize("template", HOSTILE)
def test_a_huge_single_operation_is_refused_before_it_allocates(template):
    done = subprocess.run([sys.executable, "-c", CHILD, template], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "TemplateError: the model's chat template builds more than 1,000,008 " \
                       "characters", done.stdout + done.stderr[-2000:]
    assert int(lines[1].split()[1]) < 300  # MB: the interpreter, Jinja and a few MB of text


@pytest.mark.parametrize("template, error", [
    ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    ("{{ 7 // 0 }}", "ZeroDivisionError"),
    ("{{ 7 % 0 }}", "ZeroDivisionError"),
    ("{{ 2.0 ** 100000 }}", "OverflowError"),
    ("{{ 'a' + 1 }}", "TypeError"),
    ("{{ '%d' % 'x' }}", "TypeError"),
])
def test_a_python_error_in_a_template_is_a_template_error(template, error):
    with pytest.raises(TemplateError, match=f"^the model's chat template failed: {error}"):
        ChatFormatter(template).render(MESSAGES)


def test_ordinary_uses_of_the_checked_operations_still_work():
    template = ("{% set ns = namespace(s='') %}{% for m in messages %}"
                "{% set ns.s = ns.s ~ m.role + ':' %}{% endfor %}"
                "{{ ns.s }}|{{ '{:>6}|{}'.format('ab', 3) }}|{{ '%-4s|%03d' % ('x', 7) }}|"
                "{{ '%s+%s'|format(1, 2) }}|{{ messages|map(attribute='content')|join(', ') }}|"
                "{{ ', '.join(['a', 'b']) }}|{{ 'a-b'|replace('-', '--') }}|{{ 'a-b'.replace('-', '') }}|"
                "{{ [1, 2] + [3] }}|{{ 7 // 2 }} {{ 7 / 2 }} {{ 7 % 4 }}|{{ 'x\ny'|indent(2) }}|"
                "{{ messages[0] }}|{{ messages|join(' ', attribute='role') }}|{{ [[1], [2]]|sum(start=[]) }}|"
                "{{ messages[1]|tojson }}")
    assert ChatFormatter(template).render(MESSAGES) == (
        "system:user:|    ab|3|x   |007|1+2|Be brief., Hi|a, b|a--b|ab|[1, 2, 3]|3 3.5 3|x\n  y|"
        "{'role': 'system', 'content': 'Be brief.'}|system user|[1, 2]|"
        '{"content": "Hi", "role": "user"}')


def test_the_test_models_own_template_renders_as_without_limits(session):
    formatter = session.formatter
    assert not formatter.is_fallback
    chat = [{"role": "system", "content": "You are kind."}, {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Tell me about tea." * 50}]
    plain = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(
        formatter.source).render(messages=chat, add_generation_prompt=True,
                                 bos_token=formatter.bos_token, eos_token=formatter.eos_token)
    assert formatter.render(chat) == plain and "Tell me about tea." in plain
