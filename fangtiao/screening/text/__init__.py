"""Chinese text analysis for 访调通: pure Python, no database, no Django models.

The app (`fangtiao/screening/services.py`) calls these; `fangtiao text-eval` measures them with the
very same code. Public API (stable):

normalize
    `clean(text) -> str` — NFKC/half-width, lower-case latin, whitespace collapsed, salutations
    and thanks cut from both ends. `normalize(text)`, `strip_boilerplate(text)`.
segment
    `tokens(text) -> list[str]` content words; `cut(text)` all words; `add_place_names(names)`
    teaches the district's region names at runtime; `tokenizer()` the private jieba Tokenizer.
similarity
    `profile(text) -> Profile`; `similarity(a, b, idf=None) -> Match(score 0..1, shared_terms)`;
    `Idf.fit(texts)`, `Idf.dumps() -> bytes`, `Idf.loads(bytes)`; `DEFAULT_IDF` (unfitted, works for
    few documents).
minhash
    `signature(text) -> np.ndarray[uint64] (NUM_PERM)`, `band_keys(sig) -> list[int]` (BANDS keys,
    each 0 <= key < 2**63, for an indexed bigint column), `estimate_jaccard(a, b)`; `VERSION`.
repeat
    `RepeatScorer().score(*, same_person, same_place, text: Match) -> Verdict(score, same_matter,
    reasons, same_person)`; `Verdict.repeat_petition` = 同人+同事; `TEXT_THRESHOLD`,
    `PERSON_THRESHOLD`.
routing
    `train(texts, labels, *, seed=0) -> RoutingModel`; `RoutingModel.predict(texts) ->
    list[Suggestion(label, confidence, top)]`, `dumps()`/`RoutingModel.loads(bytes)`;
    `KeywordRules` (cold start for the DisputeCategory codes); `join_fields(title, body)`.
hotspots
    `Doc(id, text, time, region='')`; `cluster(docs, *, window_start, window_end, previous=None,
    min_size=3) -> list[Cluster(label, terms, size, previous_size, trend, members)]`;
    `ClusterIndex` / `assign(...)` for new matters against existing clusters.
emotion
    `emotion_risk(text) -> Risk(level 'red'|'orange'|None, words)`; `skip_level_hint(text)`.
evaluate
    `routing_eval`, `duplicates_eval`, `hotspots_eval` — the logic of `fangtiao text-eval`.

Methods, thresholds and measured figures: docs/text-analysis.md.
"""
