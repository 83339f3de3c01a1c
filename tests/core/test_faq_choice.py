"""Which common-problem entry (FAQ) a question is answered with, or none (then the section it asks
for): an entry wins only when it is what the person asks, labelled by reading each entry's answer
in knowledge/*.yaml. Questions from the labelled and held-out sets (tests/data/*.yaml) and alike."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.core.questions import Questions

# (question, procedure, entry's question or None for no entry, section opened)
CASES: list[tuple[str, str, str | None, str]] = [
    # --- a generic or one-word match pulled in an entry the person did not ask about
    ("lam giay chung tu cho ong can giay to gi", "death_registration", None, "papers"),
    ("giay bao tu lay o dau", "death_registration", None, "online"),
    ("ong noi moi mat, lam khai tu o dau", "death_registration", None, "online"),
    ("my father died, how to register the death", "death_registration", None, "overview"),
    ("ho chieu mat bao lau thi co", "passport", None, "fees"),  # how long it takes, nothing lost
    ("vua mua xe may moi o cua hang, bao lau thi phai di bam bien", "vehicle_registration", None, "fees"),
    ("mua xe may moi o dai ly, bien so bam o dau", "vehicle_registration", None, "online"),
    ("dk thi thpt quoc gia online tren trang nao", "exam_registration", None, "online"),
    ("xin ct07 trên vneid ntn", "residence_confirmation", None, "online"),
    ("ct07 lay tren vneid dc ko", "residence_confirmation", None, "online"),
    ("báo vắng ở xã mần răng", "temporary_absence", None, "overview"),  # xã is no "đi làm xa"
    ("khai tam vang o cong an xa nao", "temporary_absence", None, "online"),
    ("nghỉ việc rồi lĩnh thất nghiệp cần gì", "unemployment_benefit", None, "papers"),
    ("cty cho nghi viec r, xin tien that nghiep ntn", "unemployment_benefit", None, "overview"),  # not quitting
    ("lam khai sinh cho con can mang gi", "birth_registration", None, "papers"),
    ("xe bi giu vi ko doi mu bh, nop phat the nao", "traffic_fine", None, "rules"),
    ("mua nha moi o thanh pho muon nhap khau thi lam ntn", "permanent_residence", None, "overview"),
    ("nhờ người nhà xin hộ giấy lý lịch tư pháp được ko", "criminal_record", None, "overview"),
    # --- words of asking the papers or the place ("giấy tờ", "online") shared with an entry say nothing about it
    ("sang tên xe máy cũ cần giấy tờ gì", "vehicle_registration", None, "papers"),  # not "giấy tờ cũ"
    ("đổi bằng lái xe online được không", "driving_license", None, "online"),  # not the scam
    ("bố mất rồi giờ nhà e phải làm giấy gì", "death_registration", None, "papers"),  # not "died at home"
    ("sao y giấy tờ ở mô", "certified_copy", None, "papers"),  # not foreign papers
    ("nop ho so that nghiep o dau", "unemployment_benefit", None, "online"),  # not "after 3 months"
    ("đổi cmnd sang thẻ căn cước cần giấy tờ gì", "identity_card", "Tôi vẫn còn chứng minh nhân dân (CMND) cũ thì sao?",
     "papers"),  # not the identity certificate ("giấy chứng nhận")
    # --- "a foreigner" said in English is the foreign element ("người nước ngoài")
    ("marry a foreigner where to register", "marriage_registration", "Kết hôn với người nước ngoài làm ở đâu, bao lâu?", "online"),
    # a greeting and "here" say nothing, so they no longer dilute the foreign element of a long message
    ("hello, my wife is vietnamese, I am american. we want to get married here", "marriage_registration",
     "Kết hôn với người nước ngoài làm ở đâu, bao lâu?", "overview"),
    # --- a better entry than the one a single shared word chose
    ("nhập khẩu về nhà ông bà mần răng", "permanent_residence", "Nhập khẩu vào nhà người khác cần gì?", "overview"),
    ("làm khai sinh cho bé trên mạng cùng lúc với thẻ bảo hiểm được ko", "birth_registration",
     "Làm liên thông khai sinh – thường trú – thẻ BHYT cho bé thế nào?", "online"),
    # --- entries that are what the person asks, the section asked notwithstanding
    ("tài khoản định danh mức 2 làm ở đâu", "vneid", "Mức 1 và mức 2 khác nhau thế nào?", "online"),  # says where
    ("kich hoat vneid muc 2 o dau", "vneid", "Mức 1 và mức 2 khác nhau thế nào?", "online"),
    ("ket hon voi nguoi nuoc ngoai dang ky o dau", "marriage_registration",
     "Kết hôn với người nước ngoài làm ở đâu, bao lâu?", "online"),
    ("bao nhieu tuoi thi duoc dang ky ket hon", "marriage_registration", "Bao nhiêu tuổi thì được đăng ký kết hôn?", "fees"),
    ("dkkh co mat tien ko", "marriage_registration", "Đăng ký kết hôn có mất tiền không?", "fees"),
    ("mất bằng lái xe làm lại ở đâu", "driving_license", "Mất bằng lái thì làm lại ở đâu, bao nhiêu tiền?", "online"),
    ("không đăng ký tạm trú bị phạt bao nhiêu", "temporary_residence", "Không đăng ký tạm trú bị phạt bao nhiêu?", "rules"),
    ("ba cu mat o nha thi khai tu can chi", "death_registration",
     "Người nhà mất tại nhà, không có giấy báo tử thì sao?", "papers"),
    ("ông mất ở nhà thì làm giấy báo tử ở mô", "death_registration",
     "Người nhà mất tại nhà, không có giấy báo tử thì sao?", "online"),
    # "ở nhà", "tại nhà" is at home ("nhà" alone is a particle): a death in hospital is not that entry
    ("người mất ở bệnh viện thì làm khai tử ntn", "death_registration", None, "overview"),
    ("me chong mat o benh vien thi khai tu o dau", "death_registration", None, "online"),
    ("ba ngoai mat o nha, khong co giay cua benh vien thi lam sao", "death_registration",
     "Người nhà mất tại nhà, không có giấy báo tử thì sao?", "overview"),
    ("sinh con o nha thi lam khai sinh ntn", "birth_registration",
     "Sinh con ở nhà, không có giấy chứng sinh của bệnh viện thì sao?", "overview"),
    ("homestay nho khai bao khach o dau", "accommodation_notice", "Nhà nghỉ, homestay báo khách thế nào?", "online"),
    ("dang ky tam tru tren vneid", "temporary_residence",
     "Đăng ký tạm trú trên VNeID cho người thuê trọ thế nào?", "online"),
    ("tach ho khau ra rieng can giay to gi", "permanent_residence", "Tách hộ (tách khẩu) làm thế nào?", "papers"),
    ("quen mat 6 so mo khoa cai app dinh danh roi gio mần răng", "vneid",
     "Quên passcode hoặc mật khẩu VNeID thì làm sao?", "online"),
    ("xin giay doc than de lam ho so ket hon", "marital_status",
     "Đăng ký kết hôn có còn cần giấy độc thân không?", "papers"),
    ("xin giay doc than de lay chong", "marital_status", "Đăng ký kết hôn có còn cần giấy độc thân không?", "overview"),
    ("xin giay doc than mat bao lau", "marital_status", "Xin giấy độc thân mất bao nhiêu tiền, bao lâu?", "fees"),
    ("đkks quá 60 ngày có bị phạt ko", "birth_registration", "Quá 60 ngày mới đi khai sinh có bị phạt không?", "rules"),
    ("sang ten xe may khac tinh lam o dau", "vehicle_registration", "Mua xe ở tỉnh khác thì đăng ký ở đâu?", "online"),
    ("dang ky xe may o tinh khac noi thuong tru duoc ko", "vehicle_registration",
     "Mua xe ở tỉnh khác thì đăng ký ở đâu?", "overview"),
    ("bhtn huong dc bao nhieu thang", "unemployment_benefit",
     "Được hưởng trợ cấp thất nghiệp bao nhiêu tháng?", "fees"),
    ("ho chieu mat roi bao mat o dau", "passport", "Mất hộ chiếu thì làm gì?", "online"),
    ("cccd cua minh bi gay doi lam lai mat may tien vay", "identity_card",  # "mấy" may be "máy": kept lost
     "Mất thẻ hoặc thẻ bị hỏng thì làm lại thế nào?", "fees"),
    ("danh mat the can cuoc thi lam lai o dau", "identity_card",
     "Mất thẻ hoặc thẻ bị hỏng thì làm lại thế nào?", "online"),
    # the hotline asked by number ("số bao nhiêu") was asked "did you mean a person or the portal?"
    ("tong dai ho tro vneid so bao nhieu", "vneid", "Tổng đài hỗ trợ VNeID là số nào?", "fees"),
    ("so dien thoai tong dai vneid", "vneid", "Tổng đài hỗ trợ VNeID là số nào?", "overview"),
]


@pytest.fixture(scope="module")
def shown(engine: Engine) -> dict[str, tuple[str, str, str | None]]:
    """Each question in a fresh conversation: the procedure, section and entry it is answered with."""
    import asyncio

    seen: dict[str, tuple[str, str, str | None]] = {}
    mine = copy.copy(engine)
    questions = copy.copy(engine.questions)
    real = Questions.show

    def show(self: Questions, proc_id: str, section: str, faq: int | None, turn: Any, score: float | None) -> None:
        entry = self.kb.procedures[proc_id].faq[faq].q.vi if faq is not None else None
        seen.setdefault(current, (proc_id, section, entry))
        real(self, proc_id, section, faq, turn, score)

    questions.show = show.__get__(questions)  # type: ignore[method-assign]
    mine.questions = questions
    for current, *_rest in CASES:
        asyncio.run(mine.handle(Inbound("test", "faq-choice", current), None))
    return seen


@pytest.mark.parametrize(("text", "procedure", "entry", "section"), CASES)
def test_entry_is_what_is_asked(shown: dict[str, tuple[str, str, str | None]], text: str, procedure: str,
                                entry: str | None, section: str) -> None:  # fmt: skip
    assert shown.get(text) == (procedure, section, entry)
