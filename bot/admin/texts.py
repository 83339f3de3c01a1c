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
    "Too many login attempts. Try again in {seconds} seconds.":
        "Có quá nhiều lần đăng nhập. Vui lòng thử lại sau {seconds} giây.",
    "Your logins": "Các lần đăng nhập của bạn", "End all my sessions": "Đăng xuất khỏi mọi nơi",
    "Logged in somewhere you no longer use (a lost phone, a shared computer)? End every login of yours, this one included.":
        "Bạn từng đăng nhập ở nơi không còn dùng (điện thoại bị mất, máy tính dùng chung)? Hãy kết thúc mọi phiên đăng nhập của bạn, kể cả phiên này.",
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
    "Answer rate": "Tỷ lệ trả lời",
    "Deadline reminders: {set} set, {sent} sent, {cancelled} cancelled, {back} came back to their checklist.":
        "Nhắc hạn: {set} lời nhắc được đặt, {sent} đã gửi, {cancelled} bị huỷ, {back} lần người dân quay lại danh sách việc cần làm.",
    "Scam warnings": "Cảnh báo lừa đảo", "Not understood": "Chưa hiểu", "Did you mean": "Hỏi lại",
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
    "Similar questions are grouped. Assign a group to a procedure: the assistant answers it at once. Dismiss junk; it stays counted, and can be restored.":
        "Các câu hỏi giống nhau được gộp thành nhóm. Gán nhóm cho một thủ tục: trợ lý trả lời được ngay. Bỏ qua câu vô nghĩa: câu đó vẫn được đếm và có thể khôi phục.",
    "The chosen questions were dismissed. They are kept under “Dismissed”.":
        "Đã bỏ qua các câu hỏi đã chọn. Chúng vẫn được giữ trong mục “Đã bỏ qua”.",
    "Check before teaching": "Kiểm tra trước khi dạy",
    "The assistant will answer these with {procedure}:": "Trợ lý sẽ trả lời các câu này bằng {procedure}:",
    "What it answers now, and once taught, for each phrasing and the ways people type it (without accents, inside a question). Changes are in bold.":
        "Trợ lý trả lời thế nào bây giờ và sau khi dạy, cho từng cách hỏi và những kiểu gõ thường gặp (không dấu, nằm trong một câu hỏi). Chỗ thay đổi được in đậm.",
    "Answered now": "Bây giờ trả lời", "Once taught": "Sau khi dạy",
    "Even once taught, the assistant would not answer “{text}” with this procedure on its own. Save anyway, or go back and choose another procedure.":
        "Kể cả khi đã dạy, trợ lý vẫn chưa tự trả lời “{text}” bằng thủ tục này. Vẫn có thể lưu, hoặc quay lại chọn thủ tục khác.",
    "The assistant's answers cannot be previewed here; saving teaches it all the same.":
        "Không xem trước được câu trả lời của trợ lý ở đây; bấm lưu vẫn dạy trợ lý như thường.",
    "Save: teach the assistant": "Lưu: dạy trợ lý", "Back to the inbox": "Quay lại danh sách câu chưa hiểu",
    "Asks back: {choices}": "Hỏi lại: {choices}", "Says it does not guide this procedure": "Báo là chưa hướng dẫn thủ tục này",
    "Does not understand": "Chưa hiểu",
    "Undo": "Hoàn tác", "Restore": "Khôi phục", "Dismissed": "Đã bỏ qua",
    "Restored: the questions are back in the inbox.": "Đã khôi phục: các câu hỏi đã trở lại danh sách đang chờ.",
    "Choose “{text}” to dismiss": "Chọn “{text}” để bỏ qua",
    "Dismiss the chosen questions": "Bỏ qua các mục đã chọn",
    "Nothing dismissed in this period.": "Không có câu hỏi nào bị bỏ qua trong kỳ này.",
    "Tick at least one question to dismiss.": "Hãy đánh dấu ít nhất một câu hỏi để bỏ qua.",
    "Nothing to restore.": "Không có gì để khôi phục.",
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
    # community digital technology teams: volunteers, help requests, the teams' figures
    "Volunteers": "Tình nguyện viên", "Help requests": "Yêu cầu hỗ trợ", "Community teams": "Tổ công nghệ số",
    "Help request #{id}": "Yêu cầu hỗ trợ #{id}", "Name": "Họ tên", "Team": "Tổ", "Phone": "Số điện thoại",
    "Linked accounts": "Tài khoản đã liên kết", "New link code": "Cấp mã liên kết mới",
    "No volunteers yet.": "Chưa có tình nguyện viên nào.", "Add a volunteer": "Thêm tình nguyện viên",
    "Province level": "Cấp tỉnh", "Province level (any commune)": "Cấp tỉnh (mọi xã/phường)",
    "e.g. Community digital technology team of Anh Sơn": "VD: Tổ công nghệ số cộng đồng xã Anh Sơn",
    "told to the citizens they call, so they know the call is genuine":
        "báo cho người dân được gọi, để họ biết cuộc gọi là thật",
    "The volunteer then links their Telegram or Zalo account with a one-time code, shown here once.":
        "Sau đó tình nguyện viên liên kết tài khoản Telegram hoặc Zalo bằng mã dùng một lần, chỉ hiện ở đây một lần.",
    "The volunteers of your commune. An administrator adds volunteers and gives them their link codes.":
        "Tình nguyện viên của xã/phường bạn. Quản trị viên thêm tình nguyện viên và cấp mã liên kết.",
    "Link code for {name}": "Mã liên kết của {name}",
    "Ask the volunteer to send /lienket {code} to the bot on Telegram or Zalo, from their own account. The code works once and is valid for {hours} hours.":
        "Đề nghị tình nguyện viên gửi /lienket {code} cho trợ lý trên Telegram hoặc Zalo, từ tài khoản của chính mình. Mã chỉ dùng được một lần và có hiệu lực trong {hours} giờ.",
    "Write it down or pass it on now: it is not shown again. If it is lost, issue a new code.":
        "Hãy ghi lại hoặc chuyển ngay: mã sẽ không hiện lại. Nếu mất mã, hãy cấp mã mới.",
    "Volunteer added: {name}.": "Đã thêm tình nguyện viên {name}.",
    "Enter the volunteer's name.": "Hãy nhập họ tên tình nguyện viên.", "Enter the team's name.": "Hãy nhập tên tổ.",
    "Use at most {n} characters for a name.": "Tên dài tối đa {n} ký tự.",
    "Choose the commune from the list.": "Hãy chọn xã/phường trong danh sách.",
    "Commune id": "Mã xã/phường", "a volunteer's; none for an admin": "của tình nguyện viên; quản trị viên để trống",
    "Which commune is “{text}”? It could be: {names}.": "“{text}” là xã/phường nào? Có thể là: {names}.",
    "“{phone}” is not a Vietnamese phone number. A mobile number has 10 digits and starts with 03, 05, 07, 08 or 09 (for example 0912 345 678); a landline has 11 digits and starts with 02.":
        "“{phone}” không phải số điện thoại Việt Nam. Số di động có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912 345 678); số cố định có 11 chữ số, bắt đầu bằng 02.",
    "Status": "Trạng thái", "All": "Tất cả", "Waiting or taken": "Đang chờ hoặc đã nhận", "Need": "Nội dung cần hỗ trợ",
    "Good time to call": "Thời gian tiện gọi", "Taken by": "Người nhận", "Minutes to take": "Số phút đến khi được nhận",
    "Outcome": "Kết quả", "Outcomes": "Kết quả", "escalated": "đã chuyển lên tỉnh", "deleted": "đã xóa",
    "No help requests.": "Không có yêu cầu hỗ trợ nào.", "Ended": "Kết thúc", "Close the request": "Đóng yêu cầu",
    "For a request handled outside the chat, e.g. one escalated to the province and settled by an official.":
        "Dành cho yêu cầu đã được xử lý ngoài trò chuyện, ví dụ yêu cầu chuyển lên tỉnh và do cán bộ giải quyết.",
    "The request is closed.": "Đã đóng yêu cầu.",
    "The request had already ended; nothing was changed.": "Yêu cầu đã kết thúc từ trước; không có gì thay đổi.",
    "Choose how the request ended.": "Hãy chọn kết quả của yêu cầu.",
    "Sessions in which a volunteer sat with a citizen, and help requests made in the period; a request counts for the team of the volunteer who took it.":
        "Các lượt tình nguyện viên trực tiếp hỗ trợ người dân và các yêu cầu hỗ trợ trong kỳ; mỗi yêu cầu được tính cho tổ của tình nguyện viên đã nhận.",
    "Assisted sessions": "Lượt hỗ trợ trực tiếp", "Escalated": "Chuyển lên tỉnh",
    "Median minutes to take": "Số phút trung vị đến khi được nhận", "By commune and team": "Theo xã/phường và tổ",
    "Count": "Số lượt", "Reasons": "Lý do", "Made": "Số yêu cầu", "All teams": "Cả xã/phường", "Total": "Tổng cộng",
    "Procedures helped with": "Thủ tục được hỗ trợ", "Papers most often missing": "Giấy tờ hay thiếu nhất",
    "Paper": "Giấy tờ",
    "In assisted sessions that could not finish, the papers of the checklist the volunteer marked as missing.":
        "Trong các buổi hỗ trợ chưa làm xong, những giấy tờ trong danh sách việc cần làm mà tình nguyện viên ghi là còn thiếu.", "Not taken yet": "Chưa có người nhận",
    "Assisted by a volunteer: {events} events, {questions} of the {total} questions. Citizens on their own asked {own}.":
        "Có tình nguyện viên hỗ trợ: {events} sự kiện, {questions} trong {total} câu hỏi. Người dân tự hỏi {own} câu.",
    "Sessions": "Lượt hỗ trợ", "Online": "Trực tuyến", "To the office": "Ra một cửa", "Unfinished": "Chưa xong",
    "Requests": "Yêu cầu", "Median minutes": "Phút chờ (trung vị)",
    # help desk codes (see LABELS)
    "Waiting": "Đang chờ", "Taken": "Đã nhận", "Closed": "Đã đóng", "Cancelled": "Đã hủy",
    "Helped, all done": "Đã hỗ trợ xong", "Sent to the office": "Hướng dẫn ra bộ phận một cửa",
    "Could not reach them": "Không liên lạc được", "No longer needed": "Không còn cần", "Expired": "Quá hạn",
    "Done online": "Làm xong trực tuyến", "Could not finish": "Chưa làm xong", "Not recorded": "Không ghi nhận",
    "No VNeID level 2 account yet": "Chưa có tài khoản VNeID mức 2", "Papers missing": "Thiếu giấy tờ",
    "The portal or app failed": "Cổng dịch vụ hoặc ứng dụng bị lỗi", "No phone, signal or internet":
        "Không có điện thoại, sóng hoặc mạng", "The citizen changed their mind": "Người dân đổi ý",
    "Another reason": "Lý do khác", "In the morning": "Buổi sáng", "In the afternoon": "Buổi chiều",
    "In the evening": "Buổi tối", "Any time": "Lúc nào cũng được",
    # usage event kinds (see KINDS), channels and chat languages, as pages and exports name them
    "Question asked": "Câu hỏi", "Answer shown": "Đã trả lời", "Asked back (did you mean)": "Hỏi lại (có phải ý bạn là)",
    "Asked for a person": "Đề nghị gặp người hỗ trợ", "Voted helpful": "Đánh giá hữu ích",
    "Voted not helpful": "Đánh giá chưa hữu ích", "Guide started": "Bắt đầu hướng dẫn", "Guide step": "Bước hướng dẫn",
    "Guide completed": "Hoàn thành hướng dẫn", "Guide abandoned": "Bỏ dở hướng dẫn", "Greeting": "Chào hỏi",
    "Section opened": "Mở một mục", "Error": "Lỗi", "Empty message": "Tin nhắn trống",
    "Old button pressed": "Bấm nút cũ", "Commune given": "Cho biết xã/phường",
    "Agreed to share a phone number": "Đồng ý để lại số điện thoại", "Help request made": "Gửi yêu cầu hỗ trợ",
    "Help request taken": "Yêu cầu hỗ trợ được nhận", "Help request closed": "Yêu cầu hỗ trợ được đóng",
    "Help request cancelled": "Yêu cầu hỗ trợ bị hủy", "Taking a request refused": "Không nhận được yêu cầu",
    "Assisted session started": "Bắt đầu lượt hỗ trợ trực tiếp",
    "Assisted session finished": "Kết thúc lượt hỗ trợ trực tiếp", "Volunteer linked": "Tình nguyện viên đã liên kết",
    "Linking refused": "Liên kết bị từ chối", "Outside what the assistant covers": "Ngoài phạm vi trợ lý hỗ trợ",
    "A second procedure named in the same question": "Thủ tục thứ hai được hỏi trong cùng câu", "Reminder set": "Đặt lời nhắc hạn", "Reminder cancelled": "Hủy lời nhắc hạn", "Reminder shown": "Hiện lời nhắc hạn", "Came back from a reminder": "Quay lại từ lời nhắc", "Checklist paper ticked": "Đánh dấu giấy tờ đã có/còn thiếu", "Team group linked": "Nhóm của tổ đã liên kết",
    "Web chat": "Trò chuyện trên web", "Terminal": "Dòng lệnh", "Vietnamese": "Tiếng Việt",
    "Day": "Ngày", "Procedure id": "Mã thủ tục", "Person (pseudonymous)": "Người dùng (ẩn danh)",
    "Table": "Bảng số liệu", "for administrators": "cho quản trị viên", "for volunteers": "cho tình nguyện viên",
    "Chosen for you: Q{quarter}/{year}, the last full quarter with data.":
        "Đã chọn sẵn quý {quarter}/{year}: quý gần nhất đã kết thúc và có số liệu.",
    "No full quarter of the last two years has data yet; Q{quarter}/{year} is the last full quarter.":
        "Hai năm qua chưa có quý nào đủ số liệu; quý {quarter}/{year} là quý gần nhất đã kết thúc.", "Open the inbox": "Mở danh sách câu chưa hiểu", "{n} waiting now": "{n} đang chờ",
    "questions were not understood in this period: {waiting} waiting, {dismissed} dismissed, {taught} taught already.":
        "câu hỏi chưa được hiểu trong kỳ này: {waiting} câu đang chờ, {dismissed} câu đã bỏ qua, {taught} câu đã dạy.",
    "requests are waiting or taken.": "yêu cầu đang chờ hoặc đã nhận.",
    "Helped by volunteer": "Tình nguyện viên hỗ trợ", "Commune name": "Tên xã/phường",
    # audit log actions (see ACTIONS)
    "Phrasing taught": "Dạy cách hỏi", "Phrasings exported": "Xuất cách hỏi", "File downloaded": "Tải tệp",
    "Logged in": "Đăng nhập", "Wrong password": "Sai mật khẩu", "Logged out": "Đăng xuất",
    "Password changed": "Đổi mật khẩu", "Password set": "Đặt mật khẩu", "Report downloaded": "Tải báo cáo",
    "Request closed": "Đóng yêu cầu", "User activated": "Mở khóa người dùng", "User deactivated": "Khóa người dùng",
    "User created": "Tạo người dùng", "Volunteer activated": "Mở khóa tình nguyện viên",
    "Volunteer deactivated": "Khóa tình nguyện viên", "Link code issued": "Cấp mã liên kết",
    "Volunteer created": "Thêm tình nguyện viên", "Questions dismissed": "Bỏ qua câu hỏi",
    "Questions restored": "Khôi phục câu hỏi", "Sessions ended": "Kết thúc các phiên đăng nhập",
}  # fmt: skip

KINDS: dict[str, str] = {
    "question": "Question asked", "answered": "Answer shown", "not_understood": "Not understood",
    "did_you_mean": "Asked back (did you mean)", "human_help": "Asked for a person",
    "feedback_helpful": "Voted helpful", "feedback_not_helpful": "Voted not helpful",
    "flow_started": "Guide started", "flow_step": "Guide step", "flow_completed": "Guide completed",
    "flow_abandoned": "Guide abandoned", "greeting": "Greeting", "section": "Section opened", "error": "Error",
    "empty": "Empty message", "stale_button": "Old button pressed", "commune_set": "Commune given",
    "help_consent": "Agreed to share a phone number", "help_requested": "Help request made",
    "help_claimed": "Help request taken", "help_closed": "Help request closed",
    "help_cancelled": "Help request cancelled", "claim_refused": "Taking a request refused",
    "assist_started": "Assisted session started", "assist_finished": "Assisted session finished",
    "volunteer_linked": "Volunteer linked", "link_refused": "Linking refused",
    "team_group_linked": "Team group linked", "not_covered": "Outside what the assistant covers",
    "reminder_set": "Reminder set", "reminder_cancelled": "Reminder cancelled",
    "reminder_shown": "Reminder shown", "reminder_returned": "Came back from a reminder",
    "checklist_tick": "Checklist paper ticked", "also_named": "A second procedure named in the same question",
}  # fmt: skip
"""Every kind of usage event the assistant logs, as the events page and its exports name it (a test
finds each ``UsageEvent("…")`` of the package here)."""
CHANNELS: dict[str, str] = {"web": "Web chat", "telegram": "Telegram", "zalo": "Zalo", "terminal": "Terminal"}
ACTIONS: dict[str, str] = {
    "alias_assigned": "Phrasing taught", "aliases_exported": "Phrasings exported", "export": "File downloaded",
    "login": "Logged in", "login_failed": "Wrong password", "logout": "Logged out",
    "password_changed": "Password changed", "password_set": "Password set", "report": "Report downloaded",
    "request_closed": "Request closed", "user_activated": "User activated", "user_deactivated": "User deactivated",
    "user_created": "User created", "volunteer_activated": "Volunteer activated",
    "volunteer_deactivated": "Volunteer deactivated", "volunteer_code_issued": "Link code issued",
    "volunteer_created": "Volunteer created", "inbox_dismissed": "Questions dismissed",
    "inbox_restored": "Questions restored", "sessions_ended": "Sessions ended",
}  # fmt: skip
"""What the audit log records, in words (a test finds each ``audit(…, "…")`` of the package here)."""
LANGUAGES: dict[str, str] = {"vi": "Vietnamese", "en": "English"}

LABELS: dict[str, str] = {
    # request statuses
    "open": "Waiting", "claimed": "Taken", "closed": "Closed", "cancelled": "Cancelled",
    # how a request or an assisted session ended (bot.core.desk); "office" serves both
    "done": "Helped, all done", "office": "Sent to the office", "unreachable": "Could not reach them",
    "not_needed": "No longer needed", "expired": "Expired", "online": "Done online",
    "unfinished": "Could not finish", "unknown": "Not recorded",
    # why an assisted session did not finish online
    "no_vneid": "No VNeID level 2 account yet", "papers": "Papers missing", "portal": "The portal or app failed",
    "device": "No phone, signal or internet", "declined": "The citizen changed their mind", "other": "Another reason",
    # when a citizen would like the call
    "morning": "In the morning", "afternoon": "In the afternoon", "evening": "In the evening", "any": "Any time",
}  # fmt: skip
"""The help desk's codes (statuses, outcomes, reasons, good times) as dashboard texts."""


def tr(text: str) -> str:
    """``text`` in the current locale: the Vietnamese entry, or the English id itself."""
    return VI.get(text, text) if i18n.current() == "vi" else text


def label(code: str | None) -> str:
    """A help desk code in words ("claimed" → "Đã nhận"); an unknown code as it is, none as a dash."""
    return tr(LABELS.get(code, code)) if code else "—"


def kind_label(kind: str | None) -> str:
    """A usage event kind in words ("not_understood" → "Chưa hiểu"); an unknown kind as it is."""
    return tr(KINDS[kind]) if kind in KINDS else kind or ""


def channel_label(channel: str | None) -> str:
    """A channel in words ("web" → "Trò chuyện trên web"); an unknown one as it is."""
    return tr(CHANNELS[channel]) if channel in CHANNELS else channel or ""


def action_label(action: str | None) -> str:
    return tr(ACTIONS[action]) if action in ACTIONS else action or ""


def language_label(lang: str | None) -> str:
    return tr(LANGUAGES[lang]) if lang in LANGUAGES else lang or ""


def number(value: int | float) -> str:
    return i18n.number(value)


def percent(value: float | None) -> str:
    """A share as the locale writes it ("87,5%" in Vietnamese); a dash when there is nothing to share."""
    return "—" if value is None else i18n.number(round(100 * value, 1)) + "%"
