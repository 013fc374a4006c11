"""Routing suggestions: which category (or handling department) a new matter most likely belongs to.

`train(texts, labels)` fits the model the live suggestion uses and `fangtiao text-eval routing`
measures. A text is "title\\nbody" (`join_fields`): the first line is the title and counts twice.

Model (see docs/text-analysis.md for the measurements):
* word features — jieba content words with the domain dictionary, unigrams + bigrams, TF-IDF
  (sublinear tf), title words counted twice;
* character features — 1–3-grams of the cleaned text, TF-IDF (sublinear), which carry the words
  jieba splits wrongly and the place/estate names;
* a linear SVM (class-balanced) calibrated by sigmoid (Platt) on internal 3-fold CV — an average of
  three calibrated SVMs, flattened to numpy after training (`_PlattLinear`). Its probability is the
  suggestion's confidence (roughly calibrated; a label seen fewer than 2 times falls back to a
  logistic regression). A logistic-regression + SVM average was measured: no better, twice as slow.

Artifacts: `dumps()` pickles only objects this module built (scikit-learn estimators, our
vectorizer settings). `RoutingModel.loads` must only ever be given bytes that our own code wrote to
our own database — unpickling untrusted bytes executes code.

`KeywordRules` is the cold start before any model is trained: hand-written keyword → category rules
for the DisputeCategory codes of `fangtiao/org/choices.py`.
"""

from __future__ import annotations

import pickle  # noqa: S403 — only our own artifacts, see the module docstring
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:  # scikit-learn is imported where a model is trained or unpickled, not by every process
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer

from fangtiao.screening.text import segment
from fangtiao.screening.text.normalize import clean

FORMAT = 1
TITLE_WEIGHT = 2


def join_fields(*parts: str) -> str:
    """Title first, then the body: the form `train`/`predict` expect ("title\\nbody")."""
    return "\n".join(p.strip().replace("\n", " ") for p in parts if p and p.strip())


MAX_BODY = 1200  # characters of the body used: the facts come first; bounds training and suggestion time


def _split(text: str) -> tuple[str, str]:
    title, _, body = (text or "").partition("\n")
    return title[:200], body[:MAX_BODY]


def _word_doc(text: str) -> list[str]:
    title, body = _split(text)
    t, b = segment.tokens(title), segment.tokens(body)
    words = t * TITLE_WEIGHT + b
    # bigrams inside title and body separately, never across the join
    grams = [f"{x}_{y}" for seq in (t, b) for x, y in zip(seq, seq[1:], strict=False)]
    return words + grams


def _char_doc(text: str) -> str:
    title, body = _split(text)
    return " ".join([clean(title)] * TITLE_WEIGHT + [clean(body)])


def _identity(doc: list[str]) -> list[str]:
    return doc


class _PlattLinear:
    """A fitted `CalibratedClassifierCV(LinearSVC, method="sigmoid")` flattened to numpy: one sparse
    product for all folds, then the per-class sigmoids, normalised per fold and averaged — the same
    numbers as scikit-learn's predict_proba without its per-call overhead (~6 ms → ~0.1 ms a matter)."""

    def __init__(self, calibrated: CalibratedClassifierCV):
        coefs, intercepts, a, b = [], [], [], []
        for cc in calibrated.calibrated_classifiers_:
            est = cc.estimator
            coefs.append(est.coef_)
            intercepts.append(est.intercept_)
            a.append([c.a_ for c in cc.calibrators])
            b.append([c.b_ for c in cc.calibrators])
        self.n_folds = len(coefs)
        self.classes_ = calibrated.classes_
        self.coef = np.vstack(coefs).astype(np.float32).T.copy()  # features × (folds·classes)
        self.intercept = np.concatenate(intercepts).astype(np.float64)
        self.a = np.asarray(a, dtype=np.float64).ravel()
        self.b = np.asarray(b, dtype=np.float64).ravel()

    def predict_proba(self, x: sparse.csr_matrix) -> np.ndarray:
        f = np.asarray(x @ self.coef, dtype=np.float64) + self.intercept
        p = 1.0 / (1.0 + np.exp(self.a * f + self.b))
        p = p.reshape(x.shape[0], self.n_folds, len(self.classes_))
        sums = p.sum(axis=2, keepdims=True)
        p = np.where(sums > 0, p / np.where(sums > 0, sums, 1.0), 1.0 / len(self.classes_))
        return p.mean(axis=1)


@dataclass(frozen=True)
class Suggestion:
    label: str
    confidence: float
    top: list[tuple[str, float]] = field(default_factory=list)


class RoutingModel:
    def __init__(self, word_vec: TfidfVectorizer, char_vec: TfidfVectorizer, models: list, classes: list[str],
                 train_seconds: float = 0.0, n_train: int = 0):
        self.word_vec = word_vec
        self.char_vec = char_vec
        self.models = models
        self.classes = classes
        self.train_seconds = train_seconds
        self.n_train = n_train

    def _features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        w = self.word_vec.transform([_word_doc(t) for t in texts])
        c = self.char_vec.transform([_char_doc(t) for t in texts])
        return sparse.hstack([w, c], format="csr")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        x = self._features(texts)
        probs = [m.predict_proba(x) for m in self.models]
        return np.mean(probs, axis=0)

    def predict(self, texts: Sequence[str], *, top_k: int = 3) -> list[Suggestion]:
        if not texts:
            return []
        out = []
        for row in self.predict_proba(list(texts)):
            order = np.argsort(-row)[:top_k]
            top = [(self.classes[i], round(float(row[i]), 4)) for i in order]
            out.append(Suggestion(label=top[0][0], confidence=top[0][1], top=top))
        return out

    def dumps(self) -> bytes:
        return pickle.dumps({"format": FORMAT, "model": self}, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def loads(cls, data: bytes) -> RoutingModel:
        """Only for bytes our own `dumps` wrote to our own database (pickle runs code)."""
        obj = pickle.loads(data)  # noqa: S301 — our own artifact, see the module docstring  # nosec B301  # — unpickles only the routing model our own dumps() wrote to our own database  # nosemgrep: fangtiao-unsafe-deserialisation — unpickles only the routing model our own dumps() wrote to our own database
        if not isinstance(obj, dict) or obj.get("format") != FORMAT or not isinstance(obj.get("model"), cls):
            raise ValueError("not a routing model of this version")
        return obj["model"]


def train(texts: list[str], labels: list[str], *, seed: int = 0) -> RoutingModel:
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("need at least two labels")
    started = time.perf_counter()
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    word_vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=2, max_df=0.5, dtype=np.float32)
    char_vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_df=0.5,
                               max_features=120_000, dtype=np.float32)
    w = word_vec.fit_transform([_word_doc(t) for t in texts])
    c = char_vec.fit_transform([_char_doc(t) for t in texts])
    x = sparse.hstack([w, c], format="csr")
    y = np.asarray(labels)
    smallest = min(int((y == k).sum()) for k in classes)
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=seed)
    cv = min(3, smallest)
    if cv >= 2:
        models = [_PlattLinear(CalibratedClassifierCV(svm, method="sigmoid", cv=cv).fit(x, y))]
    else:  # a label seen once: no held-out data to calibrate on, logistic probabilities instead
        models = [LogisticRegression(C=20.0, max_iter=2000, class_weight="balanced", random_state=seed).fit(x, y)]
    for m in models:
        assert list(m.classes_) == classes  # noqa: S101 — both sort labels the same way
    return RoutingModel(word_vec, char_vec, models, classes, time.perf_counter() - started, len(texts))


# Cold start: keyword → DisputeCategory code (fangtiao/org/choices.py DISPUTE_CATEGORIES). A longer,
# more specific keyword weighs more; "other" wins only when nothing else matched.
CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "marriage_family": ("婚姻", "离婚", "家暴", "家庭暴力", "抚养", "抚养费", "赡养", "赡养费", "继承", "遗产", "遗嘱",
                        "彩礼", "婆媳", "分家", "探视", "监护", "夫妻", "子女不孝"),
    "neighbour": ("邻里", "邻居", "噪音扰民", "油烟", "漏水", "采光", "通风", "相邻", "排水纠纷", "通行", "宠物扰民",
                  "犬只", "狗咬", "广场舞", "楼上", "楼下", "堆放杂物", "占用通道"),
    "housing_homestead": ("宅基地", "房屋纠纷", "违章建筑", "违建", "私搭乱建", "建房", "翻建", "房产证", "不动产登记",
                          "房屋买卖", "房屋租赁", "产权", "交房", "危房", "分户", "墙体开裂"),
    "contract": ("合同", "借款", "借贷", "欠款", "货款", "工程款", "违约", "定金", "订金", "担保", "欠条", "买卖合同",
                 "装修合同", "承包合同"),
    "production": ("生产经营", "承包经营", "合伙", "股权", "经营纠纷", "摊位", "商铺", "门面", "营业执照", "租金", "厂房"),
    "damages": ("损害赔偿", "人身损害", "财产损失", "赔偿", "医药费", "误工费", "殴打", "打架", "故意伤害", "伤残",
                "精神损害", "被打伤"),
    "land_forest": ("山林", "林地", "林权", "土地承包", "承包地", "土地流转", "确权", "耕地", "地界", "边界", "田地",
                    "灌溉", "集体土地", "村集体", "分红", "土地补偿款"),
    "expropriation": ("征地", "征收", "拆迁", "安置房", "安置补偿", "过渡费", "补偿标准", "强拆", "棚改", "棚户区",
                      "旧村改造", "青苗", "回迁", "征迁"),
    "environment": ("污染", "排污", "污水", "废气", "废水", "粉尘", "扬尘", "异味", "臭味", "恶臭", "搅拌站",
                    "养殖场", "养猪场", "化工厂", "偷排", "渣土", "噪声污染", "施工噪音", "夜间施工"),
    "labour": ("拖欠工资", "欠薪", "讨薪", "工资", "加班费", "劳动合同", "劳务", "辞退", "解雇", "开除", "工伤", "社保",
               "养老保险", "劳动仲裁", "包工头", "用人单位", "经济补偿金", "农民工"),
    "consumer": ("消费", "退货", "退款", "退费", "假冒伪劣", "虚假宣传", "预付卡", "充值卡", "办卡", "健身卡",
                 "培训机构", "售后", "三包", "网购", "食品安全", "过期", "价格欺诈", "缺斤短两"),
    "medical": ("医疗纠纷", "医疗事故", "医患", "误诊", "手术", "医院", "医生", "治疗", "病历", "医保报销", "护士"),
    "traffic": ("交通事故", "车祸", "肇事", "逃逸", "追尾", "撞伤", "撞死", "撞倒", "交警", "责任认定", "交强险",
                "理赔", "保险公司"),
    "property": ("物业", "物业费", "物业公司", "业委会", "业主委员会", "业主大会", "停车费", "电梯", "维修基金",
                 "公摊", "小区门禁", "保安", "二次供水"),
    "tourism": ("旅游", "旅行社", "导游", "景区", "强制购物", "门票", "民宿", "团费", "游客"),
    "ip": ("知识产权", "商标", "专利", "著作权", "版权", "侵权", "盗版", "仿冒"),
    "internet": ("网络", "网贷", "网络诈骗", "电信诈骗", "刷单", "直播", "套路贷", "个人信息泄露", "app", "微信群",
                 "骚扰电话", "网店"),
}
OTHER = "other"


class KeywordRules:
    """Cold-start suggestions from `CATEGORY_KEYWORDS` (or any `{label: keywords}` given). Each keyword
    found adds its length (a longer keyword is more specific); confidence is the winner's share of
    all points, capped at 0.8 because a keyword hit is weaker evidence than a trained model."""

    CAP = 0.8

    def __init__(self, keywords: dict[str, Sequence[str]] | None = None, *, default: str = OTHER):
        self.keywords = {k: tuple(clean(w) for w in v) for k, v in (keywords or CATEGORY_KEYWORDS).items()}
        self.default = default

    def scores(self, text: str) -> dict[str, float]:
        t = clean(text)
        out: dict[str, float] = {}
        for label, words in self.keywords.items():
            pts = sum(len(w) for w in words if w and w in t)
            if pts:
                out[label] = float(pts)
        return out

    def hits(self, text: str, label: str) -> list[str]:
        t = clean(text)
        return [w for w in self.keywords.get(label, ()) if w and w in t]

    def predict(self, texts: Sequence[str], *, top_k: int = 3) -> list[Suggestion]:
        out = []
        for text in texts:
            scores = self.scores(text)
            if not scores:
                out.append(Suggestion(label=self.default, confidence=0.0, top=[(self.default, 0.0)]))
                continue
            total = sum(scores.values())
            ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
            top = [(k, round(min(self.CAP, v / total), 4)) for k, v in ranked]
            out.append(Suggestion(label=top[0][0], confidence=top[0][1], top=top))
        return out
