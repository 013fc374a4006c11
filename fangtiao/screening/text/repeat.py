"""Is a new matter the same as an earlier one? The repeat (重复信访) detector, used live and by
`fangtiao text-eval duplicates`.

重复信访 is 「同人+同事」: the same petitioner (at least one in common) raising a matter whose facts
and demands are basically the same as before (legal-rules.md §6, 重复信访). `RepeatScorer` judges
the 同事 half from the text (a `similarity.Match`), helped by what the app knows: the same person
makes the same matter far more likely, so less textual evidence is needed; the same place helps a
little; a known different place counts against. The caller flags 重复信访 when
`Verdict.same_matter and same_person` (`Verdict.repeat_petition`).

Thresholds (measured on rewritten real messages, see docs/text-analysis.md):

* TEXT_THRESHOLD = 0.45 — text alone: a different petitioner (or unknown) writing the same matter,
  e.g. another resident of the same estate; precision first, because a wrong link merges two
  citizens' matters.
* PERSON_THRESHOLD = 0.36 — same petitioner: the same person rewording the complaint (shorter, with
  new details) is the common case, and two different matters from one person rarely share this much.
* PLACE_BONUS = 0.04 — a known same place lowers the threshold; a known different place raises it by
  PLACE_PENALTY = 0.10.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fangtiao.screening.text.similarity import Match

TEXT_THRESHOLD = 0.45
PERSON_THRESHOLD = 0.36
PLACE_BONUS = 0.04
PLACE_PENALTY = 0.10


@dataclass(frozen=True)
class Verdict:
    score: float  # the text score, shifted by what the person/place evidence is worth (0..1)
    same_matter: bool  # 同事
    reasons: list[str] = field(default_factory=list)
    same_person: bool = False  # 同人, as given

    @property
    def repeat_petition(self) -> bool:
        """重复信访: 同人 + 同事."""
        return self.same_person and self.same_matter


@dataclass(frozen=True)
class RepeatScorer:
    text_threshold: float = TEXT_THRESHOLD
    person_threshold: float = PERSON_THRESHOLD
    place_bonus: float = PLACE_BONUS
    place_penalty: float = PLACE_PENALTY

    def threshold(self, *, same_person: bool, same_place: bool | None) -> float:
        t = self.person_threshold if same_person else self.text_threshold
        if same_place is True:
            t -= self.place_bonus
        elif same_place is False:
            t += self.place_penalty
        return t

    def score(self, *, same_person: bool, same_place: bool | None, text: Match) -> Verdict:
        threshold = self.threshold(same_person=same_person, same_place=same_place)
        # Shift the score so that the applicable threshold lands where the text-only one is: the
        # score then ranks candidates with different evidence on one scale.
        score = max(0.0, min(1.0, text.score + (self.text_threshold - threshold)))
        same = text.score >= threshold
        reasons: list[str] = []
        if same_person:
            reasons.append("同一信访人（身份证号一致）")
        if same_place is True:
            reasons.append("同一发生地")
        elif same_place is False:
            reasons.append("发生地不同")
        words = "、".join(text.shared_terms[:5])
        reasons.append(f"文字相似度 {text.score:.2f}" + (f"，共同关键词：{words}" if words else ""))
        return Verdict(score=round(score, 4), same_matter=same, reasons=reasons, same_person=same_person)
