"""The words of paper text: the one stop-word list and the one plural rule.

Used by keyword trends (plural-tolerant phrase matching), rising phrases (phrases may not start or
end with a stop word) and the topic model (its vocabulary leaves stop words out), so that all three
read text the same way. Pure: standard library only.
"""

from __future__ import annotations

#: The English stop words of scikit-learn (``sklearn.feature_extraction.text.ENGLISH_STOP_WORDS``,
#: BSD-3-Clause, from the Glasgow Information Retrieval Group's list), written out here so that
#: the light side never imports scikit-learn; a test checks it against scikit-learn's own.
ENGLISH_STOP_WORDS: frozenset[str] = frozenset([
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost",
    "alone", "along", "already", "also", "although", "always", "am", "among", "amongst", "amoungst",
    "amount", "an", "and", "another", "any", "anyhow", "anyone", "anything", "anyway", "anywhere",
    "are", "around", "as", "at", "back", "be", "became", "because", "become", "becomes", "becoming",
    "been", "before", "beforehand", "behind", "being", "below", "beside", "besides", "between",
    "beyond", "bill", "both", "bottom", "but", "by", "call", "can", "cannot", "cant", "co", "con",
    "could", "couldnt", "cry", "de", "describe", "detail", "do", "done", "down", "due", "during",
    "each", "eg", "eight", "either", "eleven", "else", "elsewhere", "empty", "enough", "etc",
    "even", "ever", "every", "everyone", "everything", "everywhere", "except", "few", "fifteen",
    "fifty", "fill", "find", "fire", "first", "five", "for", "former", "formerly", "forty", "found",
    "four", "from", "front", "full", "further", "get", "give", "go", "had", "has", "hasnt", "have",
    "he", "hence", "her", "here", "hereafter", "hereby", "herein", "hereupon", "hers", "herself",
    "him", "himself", "his", "how", "however", "hundred", "i", "ie", "if", "in", "inc", "indeed",
    "interest", "into", "is", "it", "its", "itself", "keep", "last", "latter", "latterly", "least",
    "less", "ltd", "made", "many", "may", "me", "meanwhile", "might", "mill", "mine", "more",
    "moreover", "most", "mostly", "move", "much", "must", "my", "myself", "name", "namely",
    "neither", "never", "nevertheless", "next", "nine", "no", "nobody", "none", "noone", "nor",
    "not", "nothing", "now", "nowhere", "of", "off", "often", "on", "once", "one", "only", "onto",
    "or", "other", "others", "otherwise", "our", "ours", "ourselves", "out", "over", "own", "part",
    "per", "perhaps", "please", "put", "rather", "re", "same", "see", "seem", "seemed", "seeming",
    "seems", "serious", "several", "she", "should", "show", "side", "since", "sincere", "six",
    "sixty", "so", "some", "somehow", "someone", "something", "sometime", "sometimes", "somewhere",
    "still", "such", "system", "take", "ten", "than", "that", "the", "their", "them", "themselves",
    "then", "thence", "there", "thereafter", "thereby", "therefore", "therein", "thereupon",
    "these", "they", "thick", "thin", "third", "this", "those", "though", "three", "through",
    "throughout", "thru", "thus", "to", "together", "too", "top", "toward", "towards", "twelve",
    "twenty", "two", "un", "under", "until", "up", "upon", "us", "very", "via", "was", "we", "well",
    "were", "what", "whatever", "when", "whence", "whenever", "where", "whereafter", "whereas",
    "whereby", "wherein", "whereupon", "wherever", "whether", "which", "while", "whither", "who",
    "whoever", "whole", "whom", "whose", "why", "will", "with", "within", "without", "would", "yet",
    "you", "your", "yours", "yourself", "yourselves",
])

#: Words that say nothing about a paper's topic (they appear in any abstract); with the English
#: list they are left out of topic vocabularies.
PAPER_STOP_WORDS: frozenset[str] = frozenset((
    "paper", "propose", "proposed", "proposes", "introduce", "introduces", "present", "presents",
    "approach", "approaches", "method", "methods", "novel", "new", "existing", "based", "using",
    "use", "used", "show", "shows", "demonstrate", "demonstrates", "achieve", "achieves",
    "achieving", "results", "significantly", "significant", "extensive", "experiments",
    "state", "art", "sota", "code", "available", "github", "com", "https", "http", "www",
    "work", "study", "framework", "frameworks", "leveraging", "leverages", "leverage", "effective",
    "effectively", "various", "recent", "recently", "outperforms", "including", "key", "address",
    "enables", "enable", "improve", "improves", "improved", "improving", "performance", "et", "al",
))

#: Stop words of topic vocabularies: the English list plus the paper words.
TOPIC_STOP_WORDS: frozenset[str] = ENGLISH_STOP_WORDS | PAPER_STOP_WORDS


def is_plural(word: str) -> bool:
    """True when a word reads as a plural -s ("models", "LLMs"; not "loss" or "gas").

    That is four or more characters ending in one "s" after a letter, so "bias" counts too.
    """
    lower = word.lower()
    return (len(lower) > 3 and lower.endswith("s") and not lower.endswith("ss")
            and lower[-2].isalpha())


def singular(word: str) -> str:
    """The word without its plural -s (see :func:`is_plural`); other words unchanged."""
    return word[:-1] if is_plural(word) else word
