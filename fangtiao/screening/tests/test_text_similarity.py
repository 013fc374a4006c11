"""Segmentation, similarity, MinHash and the repeat scorer on invented texts."""

import numpy as np

from fangtiao.screening.text import minhash, segment
from fangtiao.screening.text.normalize import clean
from fangtiao.screening.text.repeat import PERSON_THRESHOLD, TEXT_THRESHOLD, RepeatScorer
from fangtiao.screening.text.similarity import Idf, profile, similarity, text_similarity

ESTATE = (
    "尊敬的领导您好！我是东湖苑小区的业主。东湖苑物业公司从今年三月起乱收停车费，每月三百元，"
    "物业费也从每平米一块八涨到两块五。业委会没有召开业主大会就通过了收费方案，很多业主不同意。"
    "请有关部门调查处理。谢谢！"
)
ESTATE_REWORDED = (
    "东湖苑的业委会未开业主大会就定了新的收费方案，大多数业主反对。"
    "小区物业从三月开始乱收停车收费，一个月三百，物业费也涨到了两块五一平方。恳请尽快处理。"
)
ESTATE_SHORT = "还是东湖苑物业乱收停车费、上涨物业费的事，业委会没开业主大会就定了收费方案，至今没人管。"
OTHER_ESTATE = (
    "我是西岭花园的住户，小区电梯坏了两个月没人修，老人上下楼很困难。"
    "西岭花园物业公司说维修基金用不了，让业主自己凑钱，物业公司不作为。"
)
WAGES = "我在城南一个建筑工地干了半年瓦工，包工头拖欠工资两万三千元，过年前说好结清，至今不给。"
GOODS = "我们厂给城南一家商贸公司供了半年的货，对方拖欠货款两万三千元，说好年前结清，至今不给。"


def test_clean_folds_width_and_strips_salutations():
    assert clean("尊敬的领导：您好！ＡＢＣ小区  物业费太高。谢谢！") == "abc小区 物业费太高"


def test_segmentation_keeps_domain_terms_and_place_names():
    segment.add_place_names(["黄岩区", "宁溪镇", "上垟村", "东城街道"])
    words = segment.tokens("宁溪镇上垟村村民反映，东城街道一搅拌站噪音扰民，包工头拖欠工资三个月，宅基地也被占。")
    for term in ("宁溪镇", "上垟村", "东城街道", "搅拌站", "噪音扰民", "拖欠工资", "宅基地"):
        assert term in words
    assert "三个" not in words and "的" not in words
    assert "宁溪" in segment.tokens("宁溪的村民反映")  # the short form of a place name is known too


def test_rewordings_score_above_the_threshold():
    for other in (ESTATE_REWORDED, ESTATE_SHORT):
        m = text_similarity(ESTATE, other)
        assert m.score >= TEXT_THRESHOLD, (other, m)
        assert "东湖苑" in m.shared_terms


def test_different_matters_sharing_words_score_below():
    assert text_similarity(ESTATE, OTHER_ESTATE).score < PERSON_THRESHOLD
    assert text_similarity(WAGES, GOODS).score < PERSON_THRESHOLD


def test_fitted_idf_round_trips_and_still_separates():
    places = ["北山村", "南塘社区", "西岭花园", "临江小区", "新桥镇", "城东工业区"]
    problems = ["道路破损多年没人修", "夜间施工噪音扰民", "垃圾站臭味很大", "路灯坏了一个月", "养猪场污水直排河道"]
    corpus = [f"{p}{q}，居民多次反映。" for p in places for q in problems]
    corpus += [ESTATE, ESTATE_REWORDED, OTHER_ESTATE, WAGES, GOODS]
    idf = Idf.fit(corpus)
    again = Idf.loads(idf.dumps())
    assert again.fitted and again.n_docs == 35 and again.word("东湖苑") == idf.word("东湖苑")
    assert again.word("居民") < again.word("东湖苑")
    a, b = profile(ESTATE), profile(ESTATE_REWORDED)
    # 35 documents make shared words rarer than unique ones; a same-person rewrite still matches.
    assert similarity(a, b, again).score >= PERSON_THRESHOLD
    assert similarity(profile(WAGES), profile(GOODS), again).score < PERSON_THRESHOLD


def test_minhash_bands_collide_for_near_duplicates_only():
    near = ESTATE.replace("三百元", "300元").replace("请有关部门调查处理", "请尽快调查处理")
    a, b, c = minhash.signature(ESTATE), minhash.signature(near), minhash.signature(OTHER_ESTATE)
    assert a.dtype == np.uint64 and len(a) == minhash.NUM_PERM
    ka, kb, kc = minhash.band_keys(a), minhash.band_keys(b), minhash.band_keys(c)
    assert len(ka) == minhash.BANDS and all(0 <= k < 2**63 for k in ka)
    assert set(ka) & set(kb)
    assert not set(ka) & set(kc)
    assert minhash.estimate_jaccard(a, b) > 0.6 > minhash.estimate_jaccard(a, c)
    assert minhash.band_keys(minhash.signature("")) == []
    assert np.array_equal(minhash.signature(ESTATE), a)  # deterministic


def test_repeat_scorer_thresholds_and_reasons():
    scorer = RepeatScorer()
    m = text_similarity(ESTATE, ESTATE_REWORDED)
    v = scorer.score(same_person=True, same_place=True, text=m)
    assert v.same_matter and v.repeat_petition
    assert v.reasons[0] == "同一信访人（身份证号一致）" and "同一发生地" in v.reasons
    assert v.reasons[-1].startswith(f"文字相似度 {m.score:.2f}，共同关键词：")
    far = text_similarity(WAGES, GOODS)
    assert not scorer.score(same_person=True, same_place=None, text=far).same_matter
    assert not scorer.score(same_person=False, same_place=None, text=m).repeat_petition
    assert scorer.threshold(same_person=True, same_place=None) < scorer.threshold(same_person=False, same_place=None)
