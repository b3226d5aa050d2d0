"""A survey's results, shown only after the class has ended and once enough trainees answered (MGMT-7).

Below SURVEY_MIN_ANSWERS answers (default 5) nothing but the count is shown: with fewer, a trainee's answers
could be told from the others'. Free-text answers are listed in text order, never in the order they came in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from . import scoring
from .models import LIKERT_LABELS, Answer, Question, Survey
from .selectors import class_has_ended, survey_min_answers

MSG_TOO_FEW = "回答人数不足，暂不显示结果"
MSG_NOT_ENDED = "班次尚未结束，暂不显示结果"


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    mean: Decimal | None = None
    distribution: list[tuple[str, int, int]] = field(default_factory=list)  # (label, count, percent)
    texts: list[str] = field(default_factory=list)


@dataclass
class SurveyResults:
    visible: bool
    reason: str
    responses: int
    tokens: int
    used: int
    minimum: int
    score: Decimal | None = None
    questions: list[QuestionResult] = field(default_factory=list)


def _percent(n: int, total: int) -> int:
    return round(100 * n / total) if total else 0


def survey_results(survey: Survey, today: Any = None) -> SurveyResults:
    """Counts always; the answers only when the class has ended and enough trainees answered."""
    tokens = survey.tokens.aggregate(n=Count("pk"), used=Count("pk", filter=Q(used_on__isnull=False)))
    responses = survey.responses.count()
    minimum = survey_min_answers()
    result = SurveyResults(visible=False, reason="", responses=responses, tokens=tokens["n"], used=tokens["used"],
                           minimum=minimum)
    if not class_has_ended(survey.klass, today):
        result.reason = MSG_NOT_ENDED
        return result
    if responses < minimum:
        result.reason = MSG_TOO_FEW
        return result
    result.visible = True
    questions = list(survey.questionnaire.questions.all())
    answers = Answer.objects.filter(response__survey=survey)
    likert: dict[int, Counter[int]] = {q.pk: Counter() for q in questions}
    for row in answers.filter(likert__isnull=False).values("question_id", "likert").annotate(n=Count("pk")):
        likert[row["question_id"]][row["likert"]] = row["n"]
    picked: dict[int, Counter[str]] = {q.pk: Counter() for q in questions}
    answered: Counter[int] = Counter()
    for question_id, choices in answers.exclude(choices=[]).values_list("question_id", "choices"):
        answered[question_id] += 1
        picked[question_id].update(choices)
    texts: dict[int, list[str]] = {q.pk: [] for q in questions}
    for question_id, text in answers.exclude(text="").order_by("text").values_list("question_id", "text"):
        texts[question_id].append(text)
    all_scale: list[int] = []
    for q in questions:
        item = QuestionResult(question=q)
        if q.kind == Question.Kind.LIKERT:
            counts = likert[q.pk]
            item.answered = sum(counts.values())
            if item.answered:
                item.mean = scoring.q2(Decimal(sum(v * n for v, n in counts.items())) / item.answered)
            item.distribution = [(f"{v} {label}", counts[v], _percent(counts[v], item.answered))
                                 for v, label in LIKERT_LABELS.items()]
            all_scale.extend(v for v, n in counts.items() for _ in range(n))
        elif q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            item.answered = answered[q.pk]
            item.distribution = [(c, picked[q.pk][c], _percent(picked[q.pk][c], item.answered)) for c in q.choices]
        else:
            item.texts = texts[q.pk]
            item.answered = len(item.texts)
        result.questions.append(item)
    if all_scale:
        result.score = scoring.q2(scoring.scale_to_100(Decimal(sum(all_scale)) / len(all_scale)))
    return result
