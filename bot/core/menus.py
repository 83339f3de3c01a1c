"""The fixed replies: greeting, help, the procedure menu, the language choice, small talk."""

from __future__ import annotations

from bot.core import i18n
from bot.core.i18n import _
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.turn import Turn
from bot.data.knowledge import CATALOG_IDS, HUMAN_HELP, KnowledgeBase

MENU_PAGE = 6


class Menus:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # The catalog's order puts the most asked-about procedures first in the menu.
        self.order = [p for p in CATALOG_IDS if p in kb.procedures] + sorted(
            p for p in kb.procedures if p not in CATALOG_IDS
        )

    def name(self, proc_id: str) -> str:
        if proc_id == HUMAN_HELP:
            return _("Talk to a person")
        proc = self.kb.procedures.get(proc_id)
        return proc.names.get(i18n.current()) if proc else proc_id

    def start_buttons(self) -> tuple[Button, ...]:
        return (
            Button(self.name("identity_card"), "p:identity_card"),
            Button(self.name("vneid"), "p:vneid"),
            Button(self.name("birth_registration"), "p:birth_registration"),
            Button(_("All procedures"), "m:0"),
            Button(_("Talk to a person"), "h"),
        )

    def greet(self, turn: Turn) -> None:
        turn.messages.append(Outbound(
            _("Hello! I am Trợ lý số, the digital assistant for online public services. Ask me in your own words — for example \"làm căn cước cho con\", \"đăng ký tạm trú online\" or \"kích hoạt VNeID mức 2\" — or choose a topic."),
            self.start_buttons()))  # fmt: skip
        turn.events.append(UsageEvent("greeting"))

    def help(self, turn: Turn) -> None:
        turn.messages.append(Outbound(
            _("How to use me:\n• Type your question, with or without accents.\n• Press the buttons under my answers for papers, fees and where to apply.\n• /menu lists all procedures; /lang switches language; /cancel stops a step-by-step guide.\n• /checklist shows the to-do lists your guides gave you.\n• /xa tells me your commune.\n• /xoadulieu deletes everything I keep about you.\n• Ask for a person at any time: a volunteer of your commune's team can call you."),
            self.start_buttons()))  # fmt: skip

    def menu(self, turn: Turn, page: int) -> None:
        pages = max(1, -(-len(self.order) // MENU_PAGE))
        page = min(max(page, 0), pages - 1)
        ids = self.order[page * MENU_PAGE : (page + 1) * MENU_PAGE]
        buttons = [Button(self.name(pid), f"p:{pid}") for pid in ids]
        if page + 1 < pages:
            buttons.append(Button(_("More ▶"), f"m:{page + 1}"))
        if page > 0:
            buttons.append(Button(_("◀ Back"), f"m:{page - 1}"))
        turn.messages.append(Outbound(_("Procedures I can guide you through (page {page} of {pages}):").format(page=page + 1, pages=pages), tuple(buttons)))  # fmt: skip

    def lang(self, code: str, turn: Turn, quiet: bool = False) -> None:
        if code in i18n.LANGUAGES:
            turn.state.lang = code
            if quiet:
                return
            with i18n.use(code):
                turn.messages.append(Outbound(_("Language set to English."), self.start_buttons()))
            return
        turn.messages.append(Outbound(_("Choose a language:"),
                                      (Button("Tiếng Việt", "l:vi"), Button("English", "l:en"))))  # fmt: skip

    def small_talk(self, talk: str, turn: Turn, waiting: bool = False) -> bool:
        """Answer chit-chat; ``waiting``: a question of ours is still open, so the reply is short
        and leaves the asking to the caller. False for a kind this does not answer."""
        buttons = () if waiting else self.start_buttons()
        if talk == "greeting":
            if waiting:
                turn.messages.append(Outbound(_("Hello!")))
            else:
                self.greet(turn)
        elif talk == "thanks":
            turn.messages.append(Outbound(
                _("You're welcome!") if waiting else _("You're welcome! Ask me anything else about public services."),
                buttons))  # fmt: skip
        elif talk == "goodbye":
            turn.messages.append(Outbound(_("Goodbye! Come back any time.")))
        elif talk in ("who_are_you", "identity", "bot"):
            turn.messages.append(Outbound(
                _("I am Trợ lý số, an automatic assistant (a computer program), not a person. I answer questions about public-service procedures. If you would like a real person, a volunteer of your commune's team can call you."),
                () if waiting else (Button(_("Talk to a person"), "h"), Button(_("All procedures"), "m:0"))))  # fmt: skip
        elif talk in ("insult", "anger", "complaint"):
            turn.messages.append(Outbound(
                _("I am sorry this has been frustrating. I am an automatic assistant and may have misunderstood. You can rephrase your question, or a person from your commune's team can help you."),
                () if waiting else (Button(_("Talk to a person"), "h"), Button(_("All procedures"), "m:0"))))  # fmt: skip
        elif talk == "help" and not waiting:
            self.help(turn)
        elif talk == "menu" and not waiting:
            self.menu(turn, 0)
        else:
            return False
        return True
