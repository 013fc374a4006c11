"""Code tables of the organisation registry. Codes are what the API speaks; labels are Chinese."""

from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    DISTRICT = "district", "区/县"
    TOWNSHIP = "township", "乡镇/街道"
    VILLAGE = "village", "村/社区"


class RegionKind(models.TextChoices):
    """What the division is called locally (the statistical code does not say)."""

    PROVINCE = "province", "省"
    CITY = "city", "地级市"
    DISTRICT = "district", "市辖区"
    COUNTY = "county", "县/县级市"
    STREET = "street", "街道"
    TOWN = "town", "镇"
    TOWNSHIP = "township", "乡"
    COMMUNITY = "community", "社区"
    VILLAGE = "village", "村"


class UnitLevel(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"
    TOWNSHIP = "township", "乡镇级"
    VILLAGE = "village", "村级"


class UnitKind(models.TextChoices):
    # The district centre and its stationed units (进驻单位)
    CENTRE = "centre", "矛盾纠纷综合化解中心"
    POLITICAL_LEGAL = "political_legal", "政法委"
    COURT = "court", "人民法院"
    TRIBUNAL = "tribunal", "人民法庭"
    DISCIPLINE = "discipline", "纪委监委"
    PETITION_BUREAU = "petition_bureau", "信访局"
    JUSTICE_BUREAU = "justice_bureau", "司法局"
    PUBLIC_SECURITY = "public_security", "公安机关"
    LINE_DEPARTMENT = "line_department", "职能部门"
    # Township level
    SUBCENTRE = "subcentre", "联合调解分中心"
    PETITION_OFFICE = "petition_office", "信访办"
    JUSTICE_OFFICE = "justice_office", "司法所"
    # People's mediation committees (人民调解委员会) and studios
    DISTRICT_COMMITTEE = "district_committee", "区人民调解委员会"
    TOWNSHIP_COMMITTEE = "township_committee", "乡镇（街道）人民调解委员会"
    VILLAGE_COMMITTEE = "village_committee", "村（居）人民调解委员会"
    PROFESSIONAL_COMMITTEE = "professional_committee", "行业性专业性人民调解委员会"
    STUDIO = "studio", "个人调解工作室"
    PETITION_MEDIATION_ROOM = "petition_mediation_room", "信访调解室"
    LEGAL_SERVICE = "legal_service", "公共法律服务中心"
    OTHER = "other", "其他单位"


MEDIATION_UNIT_KINDS = frozenset(
    {
        UnitKind.DISTRICT_COMMITTEE,
        UnitKind.TOWNSHIP_COMMITTEE,
        UnitKind.VILLAGE_COMMITTEE,
        UnitKind.PROFESSIONAL_COMMITTEE,
        UnitKind.STUDIO,
        UnitKind.PETITION_MEDIATION_ROOM,
    }
)


class Role(models.TextChoices):
    """Roles of DESIGN §2 and the separated administrator roles of 等保 level 3 (GB/T 22239 8.1.4.2)."""

    CLERK = "clerk", "窗口接待员"
    OFFICER = "officer", "信访干部"
    MEDIATOR = "mediator", "调解员"
    GRID = "grid", "网格员"
    COMMITTEE_HEAD = "committee_head", "调委会主任"
    EXPERT = "expert", "专家库成员"
    COURT_LIAISON = "court_liaison", "法院联络员"
    LEADER = "leader", "单位负责人/领导"
    ADMIN = "admin", "系统管理员"
    SECURITY = "security", "安全管理员"
    AUDITOR = "auditor", "审计管理员"


class Clearance(models.IntegerChoices):
    """安全标记 (GB/T 22239-2019 8.1.4.2 g): a user's clearance and a case's sensitivity label share
    one scale; a user sees a case only if clearance ≥ label (besides jurisdiction and capability)."""

    NORMAL = 0, "普通"
    SENSITIVE = 1, "敏感"
    ACCUSATION = 2, "涉及检举揭发"


class Employment(models.TextChoices):
    FULL_TIME = "full_time", "专职"
    PART_TIME = "part_time", "兼职"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "在岗"
    SUSPENDED = "suspended", "暂停"
    RETIRED = "retired", "离任"


class ExpertKind(models.TextChoices):
    MEDIATION_EXPERT = "mediation_expert", "调解专家"
    LAWYER = "lawyer", "律师"
    SPECIALIST = "specialist", "行业专家"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"
    UNKNOWN = "", "未填写"


class MediatorRank(models.TextChoices):
    """Local practice grades for mediators (configurable label set; not a national standard)."""

    CHIEF = "chief", "首席调解员"
    SENIOR = "senior", "资深调解员"
    REGULAR = "regular", "调解员"


# The official dispute types (legal-rules §5.1, statistics 2010–2016 plus the 2021 additions).
# Seeded into the DisputeCategory code table, which administrators may extend.
DISPUTE_CATEGORIES: list[tuple[str, str]] = [
    ("marriage_family", "婚姻家庭"),
    ("neighbour", "邻里"),
    ("housing_homestead", "房屋宅基地"),
    ("contract", "合同"),
    ("production", "生产经营"),
    ("damages", "损害赔偿"),
    ("land_forest", "山林土地"),
    ("expropriation", "征地拆迁"),
    ("environment", "环境污染"),
    ("labour", "劳动争议"),
    ("consumer", "消费"),
    ("medical", "医疗"),
    ("traffic", "道路交通事故"),
    ("property", "物业"),
    ("tourism", "旅游"),
    ("ip", "知识产权"),
    ("internet", "互联网"),
    ("other", "其他"),
]
