"""Small talk around the procedures — greetings, thanks, goodbyes, "who are you", anger, help and
menu requests (``knowledge/intents.yaml``): recognised only when it is the whole message."""

from __future__ import annotations

from collections.abc import Callable

from bot.core.normalize import Normalizer
from bot.data.knowledge import KnowledgeBase

_FILLER = frozenset(["a", "ah", "ak", "ha", "oi", "nhe", "nha", "nhi", "ne", "ad", "admin", "ban", "em", "anh", "chi", "minh", "bot", "shop", "vay", "the", "nhieu", "lam", "qua", "thi", "he", "ho", "hi", "rua", "ri",
                     # "nghe", "nghen" close a sentence as "nhé" does (Nghệ An, the South): "cám ơn nghe"
                     "nghe", "nghen",
                     # how people address the assistant as family, typed short: "thanks e", "cảm ơn c nhé", "cám ơn bác"
                     "e", "c", "bac", "chau", "ong", "ba", "co", "chu", "cau"])


Classify = Callable[[str], str | None]


class SmallTalk:
    def __init__(self, kb: KnowledgeBase, norm: Normalizer, keep: Callable[[Classify], Classify] | None = None) -> None:
        """``keep`` wraps :meth:`classify`'s work in a cache the matcher empties when a phrasing is
        taught (``Matcher.per_index``): a turn asks up to three times of the same message, and
        common messages repeat; a taught phrasing changes the repairs the reading starts from."""
        self.norm = norm
        self._kept: Classify = keep(self._classify_text) if keep is not None else self._classify_text
        self._exact: dict[tuple[str, ...], str] = {}
        # Each example's content words (politeness and address words left out), per intent.
        self._parts: dict[str, list[frozenset[str]]] = {}
        for intent in kb.intents.intents:
            if not intent.exact_only:
                continue
            parts = self._parts.setdefault(intent.id, [])
            for example in intent.examples:
                toks = norm.index_tokens(example)
                self._exact.setdefault(tuple(toks), intent.id)
                content = frozenset(toks) - _FILLER
                if content:
                    parts.append(content)
            for example in intent.whole_only:
                self._exact.setdefault(tuple(norm.index_tokens(example)), intent.id)

    def classify(self, text: str) -> str | None:
        """The chit-chat intent of a message made only of such words, else None."""
        return self._kept(text)

    def _classify_text(self, text: str) -> str | None:
        stripped = text.strip()
        toks = self.norm(stripped)
        if not toks:
            return "help" if stripped and set(stripped) <= set("?!. ") else None
        # The words as repaired, then as typed: the repairs know only the procedures' words, so a
        # chit-chat word outside them is "repaired" away ("dữ liệu" became "đủ điều").
        typed = tuple(self.norm.index_tokens(stripped))
        for words in (toks, typed) if typed != toks else (toks,):
            intent = self._classify(words)
            if intent is not None:
                return intent
        return None

    def _classify(self, toks: tuple[str, ...]) -> str | None:
        exact = self._exact.get(toks)
        if exact:
            return exact
        # Only politeness and address words may surround chit-chat, and what remains must be made of
        # whole examples of one intent: "cảm ơn bạn nhé" and "vâng cảm ơn" are thanks, but "tôi
        # muốn gặp người thật" is not a goodbye though "gặp" is in "hẹn gặp lại", and "chủ nhà ko
        # cho" is not anger though "cho" is in "óc chó" and "không" in "không hiểu gì cả".
        content = frozenset(toks) - _FILLER
        if not content or len(toks) > 6:
            return None
        for intent, parts in self._parts.items():
            if frozenset().union(*(part for part in parts if part <= content)) == content:
                return intent
        return None
