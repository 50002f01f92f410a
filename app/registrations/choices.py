"""The template's fixed lists (drop-downs), in the order users expect them."""

from __future__ import annotations

from app.registrations.kinds import ExamType, Gender, PersonnelNature

GENDER_LABELS: dict[Gender, str] = {Gender.MALE: "男", Gender.FEMALE: "女"}
EXAM_TYPE_LABELS: dict[ExamType, str] = {
    ExamType.QUALIFICATION: "资格考试",
    ExamType.RENEWAL: "续职考试",
}
PERSONNEL_NATURE_LABELS: dict[PersonnelNature, str] = {
    PersonnelNature.STAFF: "在编在职",
    PersonnelNature.ENTRUSTED: "受委托",
}

# GB/T 3304 中国各民族名称, plus the two entries the census form uses for others.
ETHNICITIES: tuple[str, ...] = (
    "汉族", "壮族", "瑶族", "苗族", "侗族", "仫佬族", "毛南族", "回族", "京族", "彝族",
    "水族", "仡佬族", "蒙古族", "藏族", "维吾尔族", "布依族", "朝鲜族", "满族", "白族",
    "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族",
    "拉祜族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "羌族",
    "布朗族", "撒拉族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族",
    "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "塔塔尔族", "独龙族",
    "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族", "其他", "外国血统中国籍人士",
)

# GB/T 4762 政治面貌
POLITICAL_STATUSES: tuple[str, ...] = (
    "中共党员", "中共预备党员", "共青团员", "民革党员", "民盟盟员", "民建会员", "民进会员",
    "农工党党员", "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "群众",
)

EDUCATIONS: tuple[str, ...] = (
    "博士研究生", "硕士研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下",
)

# 执法门类 as grouped in the region's administrative law-enforcement training.
ENFORCEMENT_FIELDS: tuple[str, ...] = (
    "公安", "市场监管", "生态环境", "文化市场", "交通运输", "农业农村", "应急管理",
    "自然资源", "住房城乡建设", "城市管理", "卫生健康", "水利", "林业", "商务", "教育",
    "民政", "人力资源社会保障", "医疗保障", "税务", "统计", "审计", "司法行政", "财政",
    "发展改革", "工业和信息化", "科技", "民族宗教", "广播电视", "体育", "退役军人事务",
    "海洋渔业", "烟草专卖", "气象", "消防救援", "其他",
)

# What people commonly type instead of the listed value; only unambiguous ones.
ALIASES: dict[str, str] = {
    "本科": "大学本科", "大本": "大学本科", "专科": "大学专科", "大专": "大学专科", "中专": "中等专科",
    "硕士": "硕士研究生", "研究生": "硕士研究生", "博士": "博士研究生",
    "党员": "中共党员", "中共正式党员": "中共党员", "预备党员": "中共预备党员", "团员": "共青团员",
    "无党派": "无党派人士",
}


def canonical(value: str, allowed: tuple[str, ...]) -> str | None:
    """The listed value `value` stands for: itself, an alias, or an ethnicity without 族 (壮 -> 壮族)."""
    if value in allowed:
        return value
    if ALIASES.get(value) in allowed:
        return ALIASES[value]
    if value + "族" in allowed:
        return value + "族"
    return None
