"""`newsflow eval`: the real pipeline over annotated real news, scored against the gold annotations.

- `corpora`: loaders that turn each annotated corpus into `GoldDoc`s (text already in the pipeline's normal form,
  gold spans mapped onto it). Read in place from the corpora folder; nothing is copied into the repository.
- `scoring`: pure precision / recall / F1 and matching functions.
- `runner`: writes the documents as JSON Lines to a temporary folder, runs the pipeline (the same Prefect flow as
  `newsflow run`), reads the published tables and only then reads the gold to score them.
"""
