"""Matching: the hard cases of issue 3, one small article set each, and fast = simple."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from curator.match import Hit, Index, snippet_for
from curator.models import Article, Contact, Interest
from curator.text import derived_forms, word_lemma

FILLER = (
    "The council met on Tuesday to discuss the budget for the coming year, and members "
    "spoke about roads, parks, schools and the library in turn. "
)


def art(title: str, text: str, n: int = 1) -> Article:
    return Article(id=n, url=f"https://example.org/{n}", title=title, text=text)


def index(*texts: str | tuple[str, str]) -> Index:
    articles = []
    for n, t in enumerate(texts, 1):
        title, text = t if isinstance(t, tuple) else ("", t)
        articles.append(art(title, text, n))
    return Index(articles)


def found(ix: Index, phrase: str) -> list[int]:
    """Article numbers (1-based) in which the phrase was found."""
    return sorted(i + 1 for i in ix.find(phrase))


def contact(*interests: str | Interest, avoid: tuple[str, ...] = ()) -> Contact:
    return Contact(
        "Zoe Park",
        tuple(i if isinstance(i, Interest) else Interest(i) for i in interests),
        avoid=tuple(Interest(a) for a in avoid),
    )


# -- typos, plurals, hyphens, order ----------------------------------------------------------


def test_a_typo_in_the_interest_finds_the_real_word_but_not_a_near_real_one() -> None:
    ix = index(
        "A course in machine learning for beginners.",
        "The leaning tower of Pisa and the machine leaning against the wall.",
    )
    assert found(ix, "machine lerning") == [1]
    (hit,) = ix.find("machine lerning").values()
    assert ("lerning", "learn", 93) in hit.words


def test_a_typo_in_the_article_is_found_from_a_correct_interest() -> None:
    ix = index("Pruning hydrangas in spring.", "Hydrangeas like shade.", "Hydra myths.")
    assert found(ix, "hydrangeas") == [1, 2]
    assert ix.find("hydrangeas")[0].similarity < 100 == ix.find("hydrangeas")[1].similarity


def test_two_real_words_one_edit_apart_never_match() -> None:
    ix = index("Learning to sail.", "Leaning on the rail.", "Sailing at dawn.", "Failing exams.")
    assert found(ix, "learning") == [1]
    assert found(ix, "sailing") == [1, 3]  # "sail" is the lemma of "sailing"


def test_british_and_american_spellings_are_one_word() -> None:
    ix = index(
        "The organization grew.",
        "Organisations merge.",
        "The city centre.",
        "A catalog of colors.",
        "Organs and organists.",
    )
    assert found(ix, "organisation") == [1, 2]
    assert found(ix, "organization") == [1, 2]
    assert found(ix, "center") == [3]
    assert found(ix, "colour") == [4]
    assert found(ix, "catalogue") == [4]


def test_plurals_fold() -> None:
    ix = index("Three marathons in a year.", "One marathon.", "EVs and electric vehicles.")
    assert found(ix, "marathon") == [1, 2]
    assert found(ix, "marathons") == [1, 2]
    assert found(ix, "EV") == [3]  # an acronym's plural
    assert word_lemma("EVs") == "ev" and word_lemma("evs") != "ev"


@pytest.mark.parametrize("interest", ["startups", "start-ups", "start ups", "startup"])
def test_hyphen_space_and_joined_forms_are_equal(interest: str) -> None:
    ix = index(
        "Berlin start-ups raise money.",
        "Why start ups fail.",
        "Startups are hiring.",
        "A start-up that schedules staff.",
        "Start the engine; ups and downs.",
    )
    assert found(ix, interest) == [1, 2, 3, 4]


def test_occurrences_of_all_variants_are_pooled() -> None:
    ix = index(("Start-ups in Berlin", "Startups raise money. More startups follow."))
    hit = ix.find("startups")[0]
    assert hit.count == 3  # one in the title (split), two in the text (joined)
    assert hit.where == "title and body"


def test_word_order_within_a_small_window() -> None:
    ix = index(
        "Training for a marathon after forty.",
        "Marathon training plans.",
        "The marathon was on Sunday. " + FILLER + "Training resumed on Monday.",
    )
    assert found(ix, "marathon training") == [1, 2]


def test_words_read_together_outscore_words_far_apart() -> None:
    ix = index("Open source software funds.", "Open day at the source of the river.")
    hits = ix.find("open source")
    assert ix.score_hit(0, hits[0], 2) > ix.score_hit(1, hits[1], 2)


# -- near misses that mean something else --------------------------------------------------


@pytest.mark.parametrize(
    ("interest", "trap"),
    [
        ("wine", "Wie geht es dir? Wie immer."),
        ("rugby", "Ruby on Rails ships a new release."),
        ("sailing", "Failing schools get funding."),
        ("Russia", "Borussia Dortmund won again."),
        ("apple", "Pineapple prices soar."),
        ("AI", "The minister said it was paid for, she said."),
        ("python", "Pythia, the oracle of Delphi."),
        ("robotics", "Robbing the bank was easy."),
    ],
)
def test_near_miss_words_do_not_match(interest: str, trap: str) -> None:
    assert found(index(trap), interest) == []


def test_acronyms_match_exactly_as_words() -> None:
    ix = index("AI rules agreed.", "Aid for farmers.", "He said so.", "Artificial AI-driven.")
    assert found(ix, "AI") == [1, 4]


def test_acronyms_match_only_in_capitals_and_other_words_in_any_case() -> None:
    ix = index(
        "It is a security risk, they told us.",
        "The IT security team met US officials.",
        ("MARATHON TRAINING TIPS", "Shouted headlines."),
        "Ai Weiwei opened a show. EVs and APIs.",
    )
    assert found(ix, "IT security") == [2]
    assert found(ix, "US") == [2]
    assert found(ix, "marathon training") == [3]
    assert found(ix, "AI") == []
    assert found(ix, "EV") == found(ix, "EVs") == [4]
    assert found(ix, "security") == [1, 2]


def test_derived_forms_share_a_topic() -> None:
    ix = index("A robot draws blood.", "Russian oil sanctions.", "A bakery in Lyon.")
    assert found(ix, "robotics") == [1]
    assert found(ix, "Russia") == [2]
    assert found(ix, "bake") == [3]
    assert "applet" not in derived_forms("apple")
    assert "party" not in derived_forms("part")  # "-y" changes meanings too often
    assert "former" not in derived_forms("form") and "career" not in derived_forms("care")
    assert {"japanese", "gardener", "germany", "nutritional", "italian"} <= (
        derived_forms("japan")
        | derived_forms("garden")
        | derived_forms("german")
        | derived_forms("nutrition")
        | derived_forms("italy")
    )


# -- scoring -----------------------------------------------------------------------------


def test_an_article_about_a_topic_beats_a_passing_mention() -> None:
    about = ("Marathon training after forty", "Marathon training needs rest. " * 3)
    passing = ("Our town this week", FILLER * 6 + "Her marathon training went well. " + FILLER)
    ix = index(about, passing)
    (first, second) = ix.match_contact(contact("marathon training"))
    assert first.index == 0 and second.index == 1
    assert second.score < 0.5 * first.score


def test_a_title_hit_outweighs_the_same_word_in_the_body() -> None:
    ix = index(("Heat pumps", FILLER + "Prices."), ("Prices", FILLER + "Heat pumps."))
    hits = ix.find("heat pumps")
    assert ix.score_hit(0, hits[0], 2) > ix.score_hit(1, hits[1], 2)


def test_weights_aliases_and_coverage() -> None:
    ix = index(
        "Cleantech investors back green steel.",
        "Clean-tech funds grow. Electric vehicles sell well.",
        "Green steel plants open.",
    )
    zoe = contact(
        Interest("climate tech", also=("cleantech",), weight=2), Interest("electric vehicles")
    )
    matches = {m.index: m for m in ix.match_contact(zoe)}
    assert set(matches) == {0, 1}
    assert [m.interest.topic for m in matches[1].interests] == [
        "climate tech",
        "electric vehicles",
    ]
    assert matches[0].interests[0].hit.phrase == "cleantech"
    assert matches[1].score > matches[0].score  # two interests covered


def test_words_of_other_interests_hint_at_the_sense_meant() -> None:
    ix = index(
        ("Pythons spread", "Pythons eat birds. The python hunt removed a python."),
        ("Python 3.14 is out", "Python is faster. Python maintainers ask you to test it."),
    )
    zoe = contact("python", "software testing")
    snake, language = sorted(ix.match_contact(zoe), key=lambda m: m.index)
    assert language.context == ("test",) and snake.context == ()
    assert language.coverage > snake.coverage
    assert language.score > snake.score


def test_avoid_only_when_the_article_is_about_it() -> None:
    ix = index(
        ("Doping ban for marathon winner", "The doping test. Marathon training. More doping."),
        ("Marathon training plan", "Marathon training, clean sport: no doping, just work."),
    )
    zoe = contact("marathon training", avoid=("doping",))
    matches = {m.index: m for m in ix.match_contact(zoe)}
    assert [m.interest.topic for m in matches[0].avoided] == ["doping"]
    assert matches[1].avoided == [] and len(matches[1].mentioned_avoid) == 1


def test_nothing_matches_an_empty_index() -> None:
    assert list(Index([]).match_contact(contact("anything"))) == []


# -- explanations ---------------------------------------------------------------------------


def test_reason_names_words_similarity_place_count_and_snippet() -> None:
    ix = index(("Marathon tips", "First sentence here. Training for a marathon is hard. End."))
    zoe = contact("marathon traning")
    (match,) = ix.match_contact(zoe)
    reason = ix.reason(0, match.interests[0])
    assert reason.where == "title and body" or reason.where == "body"
    assert reason.snippet == "Training for a marathon is hard."
    marked = [reason.snippet[a:b] for a, b in reason.marks]
    assert marked == ["Training", "marathon"]
    assert ("traning", "Training", 93) in reason.matched


def test_snippet_prefers_the_words_read_together() -> None:
    text = "Open the door to the source of light. Then came open source software. The end."
    ix = index(("News", text))
    (match,) = ix.match_contact(contact("open source"))
    reason = ix.reason(0, match.interests[0])
    assert reason.snippet == "Then came open source software."
    assert reason.count == 2


def test_snippet_of_a_long_sentence_is_cut_around_the_match() -> None:
    text = "word " * 200 + "marathon " + "word " * 200
    snippet, marks, _ = snippet_for(text, [(200,)])
    assert len(snippet) <= 282 and snippet.startswith("…") and snippet.endswith("…")
    assert [snippet[a:b] for a, b in marks] == ["marathon"]


# -- the fast path gives the same results as the simple design -------------------------------


class SimpleIndex(Index):
    """The straightforward design: scan every article's words in order, no postings."""

    def __init__(self, articles: list[Article]) -> None:
        super().__init__(articles)
        words = len(self.words)
        self.sequences = [(self._ids(a.title), self._ids(a.text)) for a in self.articles]
        assert len(self.words) == words, "no new words on a second pass"

    def _scored(self, phrase):  # type: ignore[no-untyped-def]
        return self._scored_by_hits(phrase)  # each article's Hit from the scan above

    def _find_variant(self, phrase, words, adjacent, only=None):  # type: ignore[no-untyped-def]
        expansions = [self.expand(lem, exact, written) for lem, written, exact in words]
        if not all(expansions):
            return {}
        window = 1 if adjacent else len(words) + 3
        result = {}
        for index, (title_ids, body_ids) in enumerate(self.sequences):
            if only is not None and index != only:
                continue
            title = self._scan(title_ids, expansions, window, adjacent)
            body = self._scan(body_ids, expansions, window, adjacent)
            if title or body:
                doc = self.docs[index]
                matched = self._matched_words(doc, title, body, words, expansions)
                result[index] = Hit(
                    phrase, tuple(title), tuple(body), min(s for _, _, s in matched), tuple(matched)
                )
        return result

    @staticmethod
    def _scan(ids: list[int], expansions, window: int, adjacent: bool) -> list[tuple[int, ...]]:  # type: ignore[no-untyped-def]
        positions = [[p for p, i in enumerate(ids) if i in e] for e in expansions]
        if any(not p for p in positions):
            return []
        found, last_end = [], -1
        for anchor in positions[0]:
            if anchor <= last_end:
                continue
            chosen = [anchor]
            for k, others in enumerate(positions[1:], start=1):
                if adjacent:
                    if anchor + k not in others:
                        break
                    chosen.append(anchor + k)
                    continue
                near = [p for p in others if abs(p - anchor) <= window and p not in chosen]
                if not near:
                    break
                chosen.append(min(near, key=lambda p: (abs(p - anchor), p)))
            if len(chosen) == len(positions):
                found.append(tuple(sorted(chosen)))
                last_end = max(chosen)
        return found


def _eval_module():
    path = Path(__file__).resolve().parent.parent / "eval" / "evaluate.py"
    spec = importlib.util.spec_from_file_location("curator_eval", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["curator_eval"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("with_corpus", [False, True], ids=["written", "with corpus"])
def test_fast_index_equals_simple_scan_on_the_labelled_set(with_corpus: bool) -> None:
    ev = _eval_module()
    if with_corpus and not ev.CORPUS.is_dir():
        pytest.skip("shared/corpora/webpages is absent")
    data = ev.load(ev.CORPUS if with_corpus else None)
    fast, simple = Index(data.articles), SimpleIndex(data.articles)
    phrases = {p for c in data.contacts for i in (*c.interests, *c.avoid) for p in i.phrases}
    for phrase in sorted(phrases):
        assert fast.find(phrase) == simple.find(phrase), phrase
    for c in data.contacts:
        a = [(m.index, round(m.score, 9)) for m in fast.match_contact(c)]
        b = [(m.index, round(m.score, 9)) for m in simple.match_contact(c)]
        assert a == b, c.name
    assert np.all(fast.df >= 1)


# Few distinct words, so phrases occur often, next to each other, across article
# boundaries and inside each other's windows: the cases the array scoring must get right.
_WORDS = ["data", "science", "open", "source", "start", "ups", "startups", "run", "running"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(_WORDS), max_size=4),
            st.lists(st.sampled_from([*_WORDS, "filler", "the"]), max_size=60),
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(
        [
            "data",
            "data science",
            "open source",
            "start ups",
            "startups",
            "running data",
            "source open",
            "data data",
            "science data open",
        ]
    ),
)
# equally near on both sides: the earlier word is taken, so the next "data" starts another
@example([([], ["science", "filler", "data", "data", "science"])], "data science")
@example([(["data"], ["science"]), (["science"], ["data"])], "data science")  # no crossing
def test_array_scoring_equals_scoring_each_hit(docs: list, phrase: str) -> None:
    articles = [
        Article(id=k, url=f"https://example.org/{k}", title=" ".join(t), text=" ".join(b))
        for k, (t, b) in enumerate(docs)
    ]
    index = Index(articles)
    fast, slow = index._scored(phrase), index._scored_by_hits(phrase)
    order = np.argsort(fast[0])
    assert fast[0][order].tolist() == slow[0].tolist()
    assert fast[1][order].tolist() == slow[1].tolist()  # the very same floats
    assert fast[2][order].tolist() == slow[2].tolist()


def test_a_short_word_matches_its_typo_where_the_rest_of_its_phrase_stands() -> None:
    ix = index(
        ("Breath of the Wild review", "Breath of the Wild is a Zelda game for the Switch."),
        ("Wine notes", "A wild guess about wine regions and their climates."),
    )
    zelda = contact("Zelda Breath of the Wlid")
    assert [m.index for m in ix.match_contact(zelda)][:1] == [0]
    assert ("wlid", "wild") in {(a, b) for a, b, _ in ix.find("Zelda Breath of the Wlid")[0].words}
    # on its own a short word stays exact: "wlid" alone finds nothing
    assert ix.find("wlid") == {}


def test_a_short_word_alone_is_never_matched_to_a_near_word() -> None:
    ix = index(("Wie geht es", "Wie geht es dir? Wie immer."), ("Red wine", "Red wine tonight."))
    assert set(ix.find("wine")) == {1}


# -- graded evidence and closeness in meaning ------------------------------------------------

AIRLINES = (
    "Airline news",
    "Three airlines said on Monday that they would leave their current partners. "
    + FILLER
    + "The alliances that bind carriers together share lounges and codes. "
    + FILLER,
)


def test_a_phrase_whose_words_stand_apart_still_scores() -> None:
    ix = index(AIRLINES, ("Parks", FILLER * 3))
    (match,) = ix.match_contact(contact("airline alliances"))
    assert ix.find("airline alliances") == {}  # never read together
    assert match.index == 0 and match.interests[0].evidence["words"] > 0.2


def test_one_common_word_of_a_long_interest_once_scores_little() -> None:
    ix = index(
        (
            "Pension saving in your sixties",
            "Retirement planning: " + FILLER + "Retirement planning needs advice. " + FILLER,
        ),
        ("Council notes", FILLER + "A plan for the new library was shown. " + FILLER),
        *[("Other", FILLER + f"Item {n}.") for n in range(6)],
    )
    scores = {m.index: m.score for m in ix.match_contact(contact("retirement planning advice"))}
    assert scores[1] < 0.25 * scores[0]


def _meaning(articles: list[Article]):  # type: ignore[no-untyped-def]
    from curator.config import Settings
    from curator.embedding import Meaning, article_passage, load_embedder

    embedder = load_embedder(Settings(), None)
    if embedder is None:
        pytest.skip("the meaning model is not installed")
    return Meaning(embedder, embedder.embed([article_passage(a.title, a.text) for a in articles]))


def test_closeness_in_meaning_finds_a_paraphrase_and_says_so() -> None:
    articles = [
        art("Sunday game notes", "The quarterback threw three touchdowns as the NFL side won.", 1),
        art("Council budget", FILLER, 2),
    ]
    ix = Index(articles)
    matches = ix.match_contact(contact("pro football"), _meaning(articles))
    first = matches[0]
    assert first.index == 0 and first.interests[0].evidence["meaning"] > 0
    assert first.interests[0].closeness > 0.3
    reason = ix.reason(0, first.interests[0])
    assert reason.where.startswith("title and opening, close in meaning (0.")
    assert reason.count == 0 and reason.snippet.startswith("The quarterback")


def test_an_avoid_topic_catches_its_paraphrase_but_not_a_passing_mention() -> None:
    articles = [
        art(
            "New quarantine rules for travellers",
            "Travellers arriving with coronavirus symptoms must isolate for five days under "
            "new quarantine rules announced on Monday.",
            1,
        ),
        art(
            "City budget approved",
            FILLER * 2 + "Spending on the covid recovery fund ends this year. " + FILLER,
            2,
        ),
    ]
    ix = Index(articles)
    zoe = contact("travel", "city budget", avoid=("covid",))
    matches = ix.match_contact(zoe, _meaning(articles))
    avoided = dict(zip(matches.indexes.tolist(), matches.avoided.tolist(), strict=True))
    assert avoided == {0: True, 1: False}
