"""The dashboard's words in Vietnamese (the default) and English, in one table.

The dashboard is read by a handful of province staff, not by citizens, so its text lives here
rather than in the citizens' gettext catalog that translators maintain: message ids are the
English text, as in that catalog, and :func:`tr` follows the same locale ContextVar
(:func:`bot.core.i18n.use`). A test checks that every ``t("…")`` of the templates and every
``tr("…")`` of the code has a Vietnamese entry.
"""

from __future__ import annotations

from bot.core import i18n

VI: dict[str, str] = {
    # navigation and account
    "Admin": "Quản trị", "Overview": "Tổng quan", "Communes": "Xã/phường", "Commune": "Xã/phường",
    "Inbox": "Câu chưa hiểu", "Events": "Sự kiện", "Taught phrasings": "Cách hỏi đã dạy",
    "Quarterly report": "Báo cáo quý", "Users": "Người dùng", "Audit log": "Nhật ký quản trị",
    "Log in": "Đăng nhập", "Log out": "Đăng xuất", "Username": "Tên đăng nhập", "Password": "Mật khẩu",
    "Change password": "Đổi mật khẩu", "New password": "Mật khẩu mới",
    "Repeat the new password": "Nhập lại mật khẩu mới", "Current password": "Mật khẩu hiện tại",
    "Wrong username or password.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Too many wrong passwords. Try again in {seconds} seconds.":
        "Nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau {seconds} giây.",
    "The form expired; please try again.": "Biểu mẫu đã hết hạn, vui lòng thử lại.",
    "The two new passwords differ.": "Hai mật khẩu mới không giống nhau.",
    "The current password is wrong.": "Mật khẩu hiện tại không đúng.",
    "Use at least {n} characters.": "Dùng ít nhất {n} ký tự.",
    "Choose your own password before going on.": "Hãy đặt mật khẩu của riêng bạn trước khi tiếp tục.",
    "Password changed.": "Đã đổi mật khẩu.",
    "You are not allowed to open this page.": "Bạn không có quyền mở trang này.",
    "Forbidden": "Không có quyền", "Not found": "Không tìm thấy", "Back to the dashboard": "Về trang tổng quan",
    "English": "English", "Tiếng Việt": "Tiếng Việt", "Role": "Vai trò", "admin": "quản trị viên",
    "volunteer": "tình nguyện viên", "Active": "Đang dùng", "Inactive": "Đã khóa", "Deactivate": "Khóa",
    "Activate": "Mở khóa", "Create user": "Tạo người dùng", "Created": "Ngày tạo",
    "User created: {name}.": "Đã tạo người dùng {name}.",
    "A volunteer sees the numbers of their commune only, never the questions' words.":
        "Tình nguyện viên chỉ xem số liệu của xã/phường mình, không xem nội dung câu hỏi.",
    # filters
    "From": "Từ ngày", "To": "Đến ngày", "Channel": "Kênh", "All channels": "Mọi kênh",
    "All communes": "Mọi xã/phường", "Unknown commune": "Chưa rõ xã/phường", "Show": "Xem",
    "7 days": "7 ngày", "30 days": "30 ngày", "90 days": "90 ngày", "12 months": "12 tháng",
    "Kind": "Loại", "All kinds": "Mọi loại", "Procedure": "Thủ tục", "All procedures": "Mọi thủ tục",
    "Text contains": "Nội dung có", "Person": "Người dùng (ẩn danh)", "Download": "Tải về",
    "Previous": "Trang trước", "Next": "Trang sau", "Page {page}": "Trang {page}",
    # measures
    "Conversations": "Cuộc trò chuyện", "Questions": "Câu hỏi", "Answered questions": "Câu hỏi được trả lời",
    "Answer rate": "Tỷ lệ trả lời", "Not understood": "Chưa hiểu", "Did you mean": "Hỏi lại",
    "Requests for a person": "Yêu cầu gặp người hỗ trợ", "Helpful": "Hữu ích", "Not helpful": "Chưa hữu ích",
    "Helpful answers": "Câu trả lời hữu ích", "Answers": "Lượt trả lời", "Guides started": "Bắt đầu hướng dẫn",
    "Guides completed": "Hoàn thành hướng dẫn", "Guides abandoned": "Bỏ dở hướng dẫn",
    "Completion rate": "Tỷ lệ hoàn thành", "Started": "Bắt đầu", "Completed": "Hoàn thành",
    "Abandoned": "Bỏ dở", "Conversations helped by a volunteer": "Cuộc trò chuyện có tình nguyện viên hỗ trợ",
    "Conversations and questions per day": "Cuộc trò chuyện và câu hỏi theo ngày",
    "Top procedures": "Thủ tục được hỏi nhiều nhất", "Guide completion funnel": "Phễu hoàn thành hướng dẫn",
    "Was the answer helpful?": "Câu trả lời có hữu ích không?", "By channel": "Theo kênh",
    "By commune": "Theo xã/phường", "Step-by-step guides": "Hướng dẫn từng bước", "Show the table": "Xem bảng số liệu",
    "No data for this period.": "Không có số liệu trong khoảng thời gian này.",
    # inbox, aliases, events
    "Questions the assistant did not understand": "Câu hỏi trợ lý chưa hiểu",
    "Similar questions are grouped. Assign a group to a procedure: the assistant answers it at once.":
        "Các câu hỏi giống nhau được gộp thành nhóm. Gán nhóm cho một thủ tục: trợ lý trả lời được ngay.",
    "Asked": "Số lần hỏi", "Last asked": "Hỏi gần nhất", "Also asked as": "Cách hỏi khác",
    "Assign": "Gán", "Question": "Câu hỏi", "Now answered as": "Hiện được trả lời là",
    "Nothing waiting: every question of this period was understood or assigned.":
        "Không còn câu nào chờ: mọi câu hỏi trong thời gian này đã được hiểu hoặc đã gán.",
    "Taught: “{text}” → {procedure}.": "Đã dạy: “{text}” → {procedure}.",
    "The assistant now answers it with: {procedure}.": "Trợ lý giờ trả lời câu này bằng: {procedure}.",
    "The assistant still does not answer it on its own; add more phrasings.":
        "Trợ lý vẫn chưa tự trả lời được câu này; hãy dạy thêm cách hỏi.",
    "Choose a procedure.": "Hãy chọn một thủ tục.", "— choose a procedure —": "— chọn thủ tục —", "Phrasing": "Cách hỏi", "Taught by": "Người dạy",
    "Export to knowledge/ (YAML)": "Xuất sang knowledge/ (YAML)",
    "Nothing taught yet.": "Chưa dạy cách hỏi nào.", "Time": "Thời gian", "Score": "Điểm khớp",
    "Latency (ms)": "Thời gian xử lý (ms)", "Language": "Ngôn ngữ", "Volunteer": "Tình nguyện viên",
    "Text": "Nội dung", "No events match.": "Không có sự kiện phù hợp.", "Action": "Thao tác",
    "Detail": "Chi tiết",
    # report
    "Quarterly report Q{quarter}/{year}": "Báo cáo quý {quarter}/{year}", "Report": "Báo cáo",
    "Place": "Địa bàn", "Period": "Kỳ báo cáo", "Generated": "Ngày lập", "Summary": "Tổng hợp",
    "Measure": "Chỉ tiêu", "Value": "Giá trị", "This quarter": "Quý này", "Previous quarter": "Quý trước", "Months": "Theo tháng",
    "Month": "Tháng", "Procedures": "Thủ tục", "Guides": "Hướng dẫn", "Channels": "Kênh", "Year": "Năm",
    "Quarter": "Quý", "Whole province": "Toàn tỉnh", "Both (ZIP)": "Cả hai (ZIP)",
    "Usage, procedures, guide completion and requests for a person, ready to send to the department.":
        "Số liệu sử dụng, thủ tục, hoàn thành hướng dẫn và yêu cầu hỗ trợ, sẵn sàng gửi Sở.",
}  # fmt: skip


def tr(text: str) -> str:
    """``text`` in the current locale: the Vietnamese entry, or the English id itself."""
    return VI.get(text, text) if i18n.current() == "vi" else text


def number(value: int | float) -> str:
    return i18n.number(value)


def percent(value: float | None) -> str:
    """A share as the locale writes it ("87,5%" in Vietnamese); a dash when there is nothing to share."""
    return "—" if value is None else i18n.number(round(100 * value, 1)) + "%"
