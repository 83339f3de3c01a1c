"""Which commune a person lives in: typed (accents optional, old names too), chosen from buttons."""

from __future__ import annotations

from bot.core.communes import CommuneFinder
from bot.core.community_base import CommunityContext
from bot.core.help_texts import contact_line
from bot.core.i18n import _
from bot.core.messages import Button, Outbound, UsageEvent
from bot.core.text import fold
from bot.core.turn import Turn

MAX_COMMUNE_CHOICES = 4


class CommuneChoice:
    def __init__(self, ctx: CommunityContext) -> None:
        self.ctx = ctx
        self.finder = CommuneFinder(ctx.communes)

    def ask(self, turn: Turn, for_request: bool) -> None:
        if not self.ctx.communes.all():
            self.ctx.say(turn, _("I have no list of communes yet."))
            return
        if for_request:
            assert turn.state.help is not None
            turn.state.help.step = "commune"
        else:
            turn.state.awaiting = "commune"
        turn.messages.append(Outbound(
            _("Which commune or ward do you live in? Type its name, with or without accents, for example: Anh Sơn, Vinh Hưng. A name from before the 2025 merger works too."),
            (Button(_("✖ Cancel"), "hd:stop"),)))  # fmt: skip

    def text(self, text: str, turn: Turn) -> bool:
        # Four communes and "not listed": five buttons, what Zalo shows at once without a "more" page.
        hits = self.finder.search(text, limit=MAX_COMMUNE_CHOICES)
        if not hits:
            if len(fold(text).split()) > 4:  # a sentence, not a place name: not an answer
                return False
            turn.messages.append(Outbound(
                _("I could not find a commune or ward called \"{name}\". Check the spelling, or type the old name of your commune.").format(name=text[:60]),
                (Button(_("My commune is not listed"), "hc:none"), Button(_("✖ Cancel"), "hd:stop"))))  # fmt: skip
            return True
        buttons = []
        for hit in hits:
            label = hit.commune.full_name
            if hit.via is not None and fold(hit.via.name) != fold(hit.commune.name):
                label = _("{commune} (includes former {old})").format(commune=label, old=hit.via.name)
            buttons.append(Button(label, f"hc:{hit.commune.id}"))
        buttons.append(Button(_("My commune is not listed"), "hc:none"))
        turn.messages.append(Outbound(_("Choose your commune or ward:"), tuple(buttons)))
        return True

    def chosen(self, commune_id: str, turn: Turn) -> None:
        state = turn.state
        commune = self.ctx.commune(commune_id)
        draft = state.help
        if commune is None and commune_id != "none":
            self.ctx.stale(turn)
            return
        state.awaiting = None
        if draft is not None and draft.step == "commune":
            draft.commune = commune.id if commune else None
            if commune is not None:
                state.commune = commune.id
            return
        if commune is None:
            self.ctx.say(turn, _("All right. You can still ask me anything; for a person, your commune's People's Committee can help."))
            return
        state.commune = commune.id
        text = _("Saved: you live in {commune}. Your questions are counted for it, without anything personal.").format(commune=commune.full_name)
        office = contact_line(commune)
        if office:
            text += "\n" + office
        turn.messages.append(Outbound(text, self.ctx.start_buttons()))
        turn.events.append(UsageEvent("commune_set", detail={"commune": commune.id}))

