"""Chat templates come from model files, so they are untrusted: rendered in a sandbox, with
their own errors reported in words, and ChatML when a model has none."""

import pytest

from aded_engine.chat_template import ChatFormatter, TemplateError

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
