"""The seeded rule table (docs/domain/rules.md lists the same with sources).

Each entry: code, name, days, working days?, source. Administrators may edit them and add
per-region overrides; the seeds are the law's figures (信访工作条例 2022 and others)."""

SEED_RULES: list[dict[str, object]] = [
    {"code": "petition.disposition", "name": "信访部门登记后处理（转送/交办）", "days": 15, "working_days": False,
     "source": "信访工作条例 第22条", "note": "信访部门收到信访事项，应当予以登记，并在15日内分别按规定处理。"},
    {"code": "petition.acceptance_notice", "name": "书面告知受理", "days": 15, "working_days": False,
     "source": "信访工作条例 第23条", "note": "能够当场告知的应当当场书面告知；不能当场告知的，应当自收到信访事项之日起15日内书面告知。姓名（名称）、住址不清的除外。"},
    {"code": "transfer.objection", "name": "转送交办异议退回", "days": 5, "working_days": True,
     "source": "信访工作条例 第23条", "note": "对不属于本机关职权范围的转送交办事项，应当自收到之日起5个工作日内提出异议，并详细说明理由。"},
    {"code": "petition.handling", "name": "信访事项办理", "days": 60, "working_days": False,
     "source": "信访工作条例 第34条", "note": "自受理之日起60日内办结；情况复杂的，经本机关负责人批准，可以适当延长办理期限，但延长期限不得超过30日。"},
    {"code": "review.request", "name": "申请复查期限（信访人）", "days": 30, "working_days": False,
     "source": "信访工作条例 第35条", "note": "信访人对信访处理意见不服的，可以自收到书面答复之日起30日内请求原办理机关的上一级机关复查。"},
    {"code": "review.answer", "name": "复查答复", "days": 30, "working_days": False,
     "source": "信访工作条例 第35条", "note": "收到复查请求的机关应当自收到复查请求之日起30日内提出复查意见，并予以书面答复。"},
    {"code": "re_review.request", "name": "申请复核期限（信访人）", "days": 30, "working_days": False,
     "source": "信访工作条例 第36条", "note": "信访人对复查意见不服的，可以自收到书面答复之日起30日内向复查机关的上一级机关请求复核。"},
    {"code": "re_review.answer", "name": "复核答复", "days": 30, "working_days": False,
     "source": "信访工作条例 第36条", "note": "收到复核请求的机关应当自收到复核请求之日起30日内提出复核意见；听证所需时间不计算在内。"},
    {"code": "mediation.period", "name": "人民调解期限（本地惯例）", "days": 30, "working_days": False,
     "source": "宁波市人民调解条例 第27条（本地惯例，可配置）", "note": "调解一般在一个月内结束；双方当事人同意延长的可以延长。"},
    {"code": "confirmation.apply", "name": "申请司法确认", "days": 30, "working_days": False,
     "source": "人民调解法 第33条；民事诉讼法(2023) 第205条", "note": "自调解协议生效之日起30日内，由双方当事人共同向人民法院申请司法确认。"},
    {"code": "follow_up", "name": "回访", "days": 30, "working_days": False,
     "source": "人民调解法 第31条（回访为实践做法，可配置）", "note": "答复或达成协议后，在结案前对当事人进行回访。"},
    {"code": "satisfaction.window", "name": "满意度评价期限", "days": 30, "working_days": False,
     "source": "国信发〔2014〕16号（评价期限 UNVERIFIED，可配置）", "note": "信访人在答复后可对办理情况作出满意、基本满意、不满意评价。"},
]
