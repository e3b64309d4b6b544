"""Topics: embeddings, the BERTopic fit, matching across refits, quality, and the light readers.

The package is split along one line. LIGHT modules import only Polars, NumPy and the standard
library, so the dashboard and the light commands can read topics without loading a model:

* :mod:`analysis.topics.artifacts` - the fitted topics on disk (file names, readers, ``TopicMeta``)
* :mod:`analysis.topics.vectors` - the text embedded per paper, normalising, the embedding cache

HEAVY modules load torch, sentence-transformers, UMAP, HDBSCAN or BERTopic inside their functions:

* :mod:`analysis.topics.embedders` - the MiniLM and static embedding backends
* :mod:`analysis.topics.pipeline` - the seeded reduction, clustering and labels inside BERTopic
* :mod:`analysis.topics.fit` - ``fit`` and ``assign_new`` on a store
* :mod:`analysis.topics.match` - stable ids across refits, placing new papers on the map
* :mod:`analysis.topics.quality` - diversity and NPMI coherence

This ``__init__`` imports nothing, so importing a light module never pulls in a heavy one.
"""
