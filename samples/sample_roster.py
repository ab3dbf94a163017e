"""The sample roster (名册) of branches the demo loads: the sample mailbox's branches, each written the way a bureau's
list might write it, and three that sent no form. Contacts are the samples' fictitious ones."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
from openpyxl.styles import Alignment, Font
from sample_files import normalise_ooxml

TITLE = "2020年“助力火红年代”主题党日活动 离退休干部党组织名册"
# The columns in an order of the bureau's own, with a 序号 column the import ignores.
HEADER = ("序号", "所属单位", "党组织名称", "联系人", "联系电话", "邮箱", "别名")

# (所属单位, 党组织名称, 联系人, 联系电话, 邮箱, 别名). How each matches the sample mail:
ENTRIES: tuple[tuple[str, str, str, str | int, str, str], ...] = (
    # the name with 中共 in front: matches 苏州市财政局离退休干部党支部 (mails 01 and its correction 05)
    ("市级机关", "中共苏州市财政局离退休干部党支部", "钱卫东", 13906121847, "qianweidong1956@163.com", ""),
    # 市 for 苏州市: matches 苏州市教育局离退休干部第二党支部 (mail 03)
    ("市级机关", "市教育局离退休干部第二党支部", "陆秀英", "13771835402", "szjy_lxy@126.com", ""),
    # a new name the form does not use: matched by the sender address of mail 04
    ("市级机关", "苏州市水利局（水务局）离退休干部党支部", "顾国平", 13862097315, "13862097315@139.com", ""),
    # its form arrived broken (mail 07): no report, so it is missing
    ("市级机关", "苏州市民政局离退休干部党支部", "孙玉兰", "0512-68254319", "sunyulan_mz@126.com", ""),
    # matched by its alias (mail 02, and 06 is its resend)
    ("姑苏区", "中共苏州市姑苏区委老干部局机关离退休干部党支部", "周建华", "0512-65231746", "",
     "姑苏区老干部局机关离退休党支部、\n姑苏区老干部局离退休党支部"),
    # the same name (mail 09, forwarded by the district office)
    ("吴江区", "吴江区松陵街道离退休干部党支部", "徐志刚", "0512-63421875", "2287361045@qq.com", ""),
    # wrote that the form would follow (mail 08): missing
    ("吴中区", "吴中区长桥街道老干部党支部", "沈梅芳", "0512-65283307", "shenmeifang_cq@189.cn", ""),
    # mail 12 writes 高新区狮山街道老干部党支部: no rule matches, so it waits as 名称待确认 with this as candidate
    ("高新区", "苏州高新区狮山街道离退休干部党支部", "蒋丽华", "13812960374", "", ""),
    # sent nothing at all: missing every month
    ("相城区", "相城区元和街道离退休干部党支部", "朱建明", "0512-65761920", "", ""),
)


def roster_workbook(when: datetime) -> bytes:
    """The roster as the bureau might keep it: a title row, then the header, one branch a row."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "名册"
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(HEADER))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for number, (group, name, person, phone, email, aliases) in enumerate(ENTRIES, start=1):
        sheet.append([number, group, name, person, phone, email or None, aliases or None])
    for row in sheet.iter_rows(min_row=3):
        row[6].alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFG", (6, 10, 44, 10, 16, 26, 34), strict=True):
        sheet.column_dimensions[column].width = width
    book.properties.creator = "组织指导处"
    book.properties.lastModifiedBy = "组织指导处"
    book.properties.created = when
    book.properties.modified = when
    buffer = io.BytesIO()
    book.save(buffer)
    return normalise_ooxml(buffer.getvalue(), when)
