"""引导: a few questions that tell a citizen which lawful route fits the problem before filing
(统一引导、即时分流; 信访工作条例 第28、31条 诉访分离). Pure data and one function, so the page,
the tests and the docs read the same tree.

Order of the questions follows the law's order of precedence: a matter already before a court or
an arbitral body stays there (第28条; 第31条第1、2项); a challenge to an administrative decision goes
to 行政复议 / 行政诉讼 (第31条第4项); a civil dispute between equals may be mediated if both sides
agree (人民调解法 第3、17条; 访调对接); what remains is a petition (信访工作条例 第17、19、31条第6项).
Only the petition and mediation routes lead to the online form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    help: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Route:
    code: str
    title: str
    summary: str
    explanation: tuple[str, ...]
    basis: tuple[str, ...]
    where: str
    form_kind: str = ""  # "petition" / "dispute" if the online form applies

    @property
    def online(self) -> bool:
        return bool(self.form_kind)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "purpose", "您这次来，主要是想做什么？",
        "如果只是想了解自己的权利、该怎么办，可以先咨询，不必立即提交。",
        (Option("advice", "只想咨询法律问题、了解怎么办"),
         Option("solve", "想反映问题或解决一件具体的事")),
    ),
    Question(
        "proceedings", "这件事是否已经进入法院诉讼或仲裁程序？",
        "例如：已经向法院起诉、法院正在审理、已有判决或裁定；或者已经申请仲裁、已有仲裁裁决。",
        (Option("court", "已经起诉，或已有法院判决、裁定"),
         Option("arbitration", "已经申请仲裁，或已有仲裁裁决"),
         Option("none", "都没有")),
    ),
    Question(
        "admin", "您是否不服行政机关对您作出的某个决定？",
        "例如：行政处罚、行政许可、征收补偿决定、行政确认、行政裁决等。",
        (Option("yes", "是，针对行政机关的决定"),
         Option("no", "不是")),
    ),
    Question(
        "civil", "这是不是您与其他个人、企业或组织之间的纠纷？",
        "例如：邻里、婚姻家庭、房屋宅基地、合同、损害赔偿、物业、劳动报酬、消费等纠纷。"
        "如果是对政府工作提出建议、检举控告，或要求有关部门解决问题，请选“不是”。",
        (Option("yes", "是，和对方有纠纷"),
         Option("no", "不是，是向有关部门反映问题或提出诉求")),
    ),
    Question(
        "consent", "您是否愿意通过调解解决？对方是否可能同意调解？",
        "人民调解以双方自愿为前提，一方明确拒绝的，不能调解。",
        (Option("yes", "愿意调解，对方也可能同意"),
         Option("no", "我不愿意，或对方明确拒绝调解")),
    ),
)
BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}


ROUTES: dict[str, Route] = {r.code: r for r in (
    Route(
        "mediation", "申请人民调解",
        "您与对方的民事纠纷，适合先由人民调解委员会调解。",
        ("人民调解由人民调解委员会在双方自愿、平等的基础上，说服疏导，促使双方达成调解协议，不收取任何费用。",
         "调解不影响您依法通过仲裁、行政、司法等途径维护权利；调解不成的，调解组织会告知您可以走的法定途径。",
         "达成的调解协议具有法律约束力；双方可以自协议生效之日起30日内共同向人民法院申请司法确认，确认后一方不履行的，"
         "另一方可以申请强制执行。"),
        ("《人民调解法》第2、3、4、17条（自愿、平等、免费；一方明确拒绝的不得调解）",
         "《人民调解法》第31、33条（协议的效力与司法确认）",
         "访调对接：信访事项中适宜调解的民事纠纷，经双方同意可移交人民调解（调解前置）"),
        "可在网上提交调解申请，也可到区矛调中心或所在乡镇（街道）联合调解分中心、村（居）调委会申请。",
        form_kind="dispute",
    ),
    Route(
        "petition", "提出信访事项",
        "您向有关部门反映问题、提出建议意见或诉求，属于信访。",
        ("信访人可以通过网上、来信、来电、走访等形式提出信访事项，应写明姓名、住址和请求、事实、理由，并对材料的真实性负责。",
         "有关机关收到后会登记；能够当场告知的当场书面告知，不能当场告知的自收到之日起15日内书面告知是否受理。",
         "受理后一般自受理之日起60日内办结并出具书面答复；情况复杂的，经批准可延长，最长不超过30日，并告知延期理由。",
         "对处理意见不服的，可以自收到书面答复之日起30日内请求上一级机关复查；对复查意见不服的，可以在30日内请求复核。"),
        ("《信访工作条例》第17、19、21条（信访形式与网上信访）",
         "《信访工作条例》第22、23条（登记与15日内书面告知）",
         "《信访工作条例》第31条第6项、第32、34条（处理意见书与60日办理期限）",
         "《信访工作条例》第35、36条（复查、复核）"),
        "可在网上提交，也可到区矛调中心（联合接访）窗口或所在乡镇（街道）分中心当面反映。",
        form_kind="petition",
    ),
    Route(
        "litigation", "通过诉讼途径解决",
        "事情已经进入法院诉讼程序，或者需要由法院依法裁判，应当通过诉讼途径解决。",
        ("依照诉讼与信访分离制度，请求保护诉讼权利、对法院裁判不服等涉法涉诉事项，不作为信访事项受理，"
         "应当依照法定程序向人民法院、人民检察院等政法机关提出（如上诉、申请再审、申请检察监督）。",
         "尚未起诉的民事纠纷，如对方不愿调解，您可以依法向人民法院起诉；起诉前也可以随时申请人民调解。",
         "如需法律帮助，可以先到公共法律服务中心咨询，符合条件的可以申请法律援助。"),
        ("《信访工作条例》第28条（诉讼与信访分离）",
         "《信访工作条例》第31条第1项（依法应当通过诉讼、检察、公安等程序处理的）",
         "《信访工作条例》第20条第2款（涉诉走访向政法部门提出）"),
        "向有管辖权的人民法院提出；已在诉讼中的，请与承办法院联系。",
    ),
    Route(
        "arbitration", "通过仲裁途径解决",
        "事情已经申请仲裁，或者依法应当通过仲裁解决，应当通过仲裁途径解决。",
        ("已经申请仲裁或已有仲裁裁决的事项，按照仲裁程序处理，不作为信访事项受理。",
         "劳动争议（如劳动报酬、工伤、解除劳动合同）一般须先向劳动人事争议仲裁委员会申请仲裁，"
         "对仲裁裁决不服的再向法院起诉；申请仲裁的时效期间一般为1年。",
         "劳动争议也可以先申请调解；自申请调解之日起15日内未达成协议的，可以申请仲裁。"),
        ("《信访工作条例》第31条第2项（应当通过仲裁解决的，导入仲裁程序）",
         "《劳动争议调解仲裁法》第5、14、27条"),
        "向劳动人事争议仲裁委员会或合同约定的仲裁机构申请。",
    ),
    Route(
        "reconsideration", "申请行政复议或提起行政诉讼",
        "您不服行政机关作出的决定，应当通过行政复议或行政诉讼解决。",
        ("对行政处罚、行政许可、行政确认、行政裁决等行政行为不服的，依法应当通过行政复议、行政诉讼等法定途径解决，"
         "不作为信访事项受理。",
         "申请行政复议一般应当自知道该行政行为之日起60日内提出；直接提起行政诉讼的，一般应当自知道作出行政行为之日起6个月内提出。"),
        ("《信访工作条例》第31条第4项",
         "《行政复议法》（2023）第20条（60日）",
         "《行政诉讼法》第46条（6个月）"),
        "向行政复议机关（一般为县级以上人民政府）申请行政复议，或向人民法院提起行政诉讼。",
    ),
    Route(
        "advice", "法律咨询",
        "您想先了解自己的权利和可以走的途径，可以先进行法律咨询。",
        ("区公共法律服务中心和矛调中心窗口提供免费法律咨询，律师和工作人员会帮助您分析问题、告知可以选择的解决途径。",
         "咨询后如需要，您可以再回到本页面，按引导选择申请调解或提出信访事项。"),
        ("《信访工作条例》第18条（公布信访渠道、办理程序和查询方式）",
         "公共法律服务（实践做法：公共法律服务中心、12348 公共法律服务热线）"),
        "到区公共法律服务中心或区矛调中心窗口咨询，或拨打 12348 公共法律服务热线。",
    ),
)}


@dataclass(frozen=True)
class Step:
    """Either the next question to ask or the routes recommended (first = the best fit)."""

    answers: dict[str, str]
    question: Question | None = None
    routes: tuple[Route, ...] = ()


def _clean(answers: Mapping[str, str]) -> dict[str, str]:
    """Keep only valid answers, in question order, stopping at the first missing or invalid one."""
    out: dict[str, str] = {}
    for q in QUESTIONS:
        value = answers.get(q.key, "")
        if value not in {o.value for o in q.options}:
            break
        out[q.key] = value
    return out


def advance(answers: Mapping[str, str]) -> Step:
    """The next step after `answers` (unknown keys and invalid values are ignored)."""
    a = _clean(answers)

    def ask(key: str) -> Step:
        return Step(answers={k: v for k, v in a.items() if k in _before(key)}, question=BY_KEY[key])

    def done(*codes: str) -> Step:
        return Step(answers=a, routes=tuple(ROUTES[c] for c in codes))

    if "purpose" not in a:
        return ask("purpose")
    if a["purpose"] == "advice":
        return done("advice")
    if "proceedings" not in a:
        return ask("proceedings")
    if a["proceedings"] == "court":
        return done("litigation", "advice")
    if a["proceedings"] == "arbitration":
        return done("arbitration", "advice")
    if "admin" not in a:
        return ask("admin")
    if a["admin"] == "yes":
        return done("reconsideration", "advice")
    if "civil" not in a:
        return ask("civil")
    if a["civil"] == "no":
        return done("petition", "advice")
    if "consent" not in a:
        return ask("consent")
    if a["consent"] == "yes":
        return done("mediation", "litigation", "arbitration")
    return done("litigation", "arbitration", "advice")


def _before(key: str) -> set[str]:
    keys = [q.key for q in QUESTIONS]
    return set(keys[: keys.index(key)])


def position(step: Step) -> tuple[int, int]:
    """(number of this question, questions at most) for a progress hint."""
    return len(step.answers) + 1, len(QUESTIONS)


def answered(step: Step) -> list[tuple[Question, Option]]:
    """The answers given so far, as (question, chosen option), for the summary."""
    out = []
    for key, value in step.answers.items():
        q = BY_KEY[key]
        out.append((q, next(o for o in q.options if o.value == value)))
    return out
