"""Paraphrase queries for the 62 papers of the real trending page (shared/data/trending-page).

Each entry is ``(paper key, query)``: the key is the one ingest gives a trending-page
paper (no arXiv id, so ``"t:"`` + a hash of its normalized title, see
``papertrend.papers.text.title_key``); the query is how a researcher might type a
half-remembered idea of that paper, written from its abstract in other words: no
model names, coined terms or rare words from the text. The comment gives the
paper's position on the page.

The queries were written once, before any ranking was measured, and are not to be
tuned to the search results; ``test_paraphrase.py`` checks that they stay 5-15
words and share few content terms with their papers.
"""

from __future__ import annotations

QUERIES: list[tuple[str, str]] = [
    # page paper 1
    (
        "t:92322e65809a7e88",
        "choosing which examples to get labelled when you can only afford a handful of questions",
    ),
    # page paper 2
    (
        "t:85ea31442a770497",
        "sequence networks exposed to countless synthetic problems come to solve new ones "
        "purely from demonstrations",
    ),
    # page paper 3
    (
        "t:44345cec78977320",
        "one visual system that handles unseen per-pixel tasks from under fifty annotated pictures",
    ),
    # page paper 4
    (
        "t:cd06b2d18011a1a4",
        "keep updating a picture-and-text assistant as new teaching collections arrive, "
        "discarding near duplicates",
    ),
    # page paper 5
    (
        "t:43467cb06f31e9d4",
        "on-device adjustment to shifting inputs during deployment without running out of RAM",
    ),
    # page paper 6
    (
        "t:44d346531ff9e390",
        "faster continuous-depth networks by penalizing how many integrator iterations they need",
    ),
    # page paper 7
    (
        "t:714674d3ffdaef12",
        "keep a separate predictor per environment and pick among them for each incoming example",
    ),
    # page paper 8
    (
        "t:a88d2381d841831c",
        "repurpose near-zero entries of a picture synthesizer that contribute nothing, to add"
        " abilities cheaply",
    ),
    # page paper 9
    (
        "t:9b714b6bbbbb07e6",
        "several specialists each trained on one environment teach a single student at "
        "deployment without labels",
    ),
    # page paper 10
    (
        "t:c80fe0294bfdeb4b",
        "tuning knobs like augmentation strength adjusted during one run, yielding a schedule"
        " not a constant",
    ),
    # page paper 11
    (
        "t:69378cfa2d4466f5",
        "good starting vectors for trainable caption tokens so photo-text systems hold up "
        "across datasets",
    ),
    # page paper 12
    (
        "t:6d3f30d06c74b8e2",
        "blend a giant pretrained backbone with a little specialist network at every depth",
    ),
    # page paper 13
    (
        "t:9270ec8ffa0808e5",
        "grow and cut connections of a compact suggestion engine throughout its training",
    ),
    # page paper 14
    (
        "t:4f0135ec1c23fc1c",
        "next-item suggestion from user click histories with a learned augmenter trained by "
        "bilevel updates",
    ),
    # page paper 15
    (
        "t:83efaec248164896",
        "a number telling how tough a dataset is to extrapolate from, whatever network you use",
    ),
    # page paper 16
    (
        "t:6a9ff7e5e0867170",
        "cut a bottleneck module into pieces, randomly switch them on, then glue them back",
    ),
    # page paper 17
    (
        "t:cfcb921e440a3008",
        "plain grouping of unlabeled test points rivals elaborate classifiers given a handful"
        " of labelled examples",
    ),
    # page paper 18
    (
        "t:090254f6af3bffa6",
        "dropping the unconditional branch in later sampling iterations of prompt-driven "
        "picture generators to cut cost",
    ),
    # page paper 19
    (
        "t:b11f6055592d2c36",
        "make unsure unlabeled examples usable by dropping the competing runner-up categories"
        " before the cutoff",
    ),
    # page paper 20
    (
        "t:47c8f3366c0502cc",
        "adapting huge text encoders with low-dimensional, mostly-zero deltas that also thin "
        "the final checkpoint",
    ),
    # page paper 21
    (
        "t:8ee674d9f28c63fb",
        "searching photos with a reference picture plus a written change, handling coarse and"
        " fine matches",
    ),
    # page paper 22
    (
        "t:7c133838cd71878e",
        "auxiliary contrastive objective on product features helps rarely clicked items in "
        "giant two-tower retrieval",
    ),
    # page paper 23
    (
        "t:4a3093399d562a73",
        "structured 2:4 style pruning at very high ratios by slowly damping updates to "
        "removed weights",
    ),
    # page paper 24
    (
        "t:0f5a9e43cb8fe50f",
        "smarter ways to choose which chunk of unknowns to refresh in blockwise solvers",
    ),
    # page paper 25
    (
        "t:1150577590df9627",
        "learned on-off switches over a few fixed parameters of a photo-caption network",
    ),
    # page paper 26
    (
        "t:945913261c4f8d1c",
        "a net becomes its own tutor, mixing true answers with its earlier guesses",
    ),
    # page paper 27
    (
        "t:ee8b781223b6667e",
        "add-on modules from factorizing layer matrices times input statistics so chatbots "
        "keep what they knew",
    ),
    # page paper 28
    (
        "t:1884f1126a8fba68",
        "how many examples to pull from each helper problem, via a sparsity-inducing estimate",
    ),
    # page paper 29
    (
        "t:3e5b3363993c9d49",
        "add separately learned sparse deltas for a skill and a language to serve "
        "low-resource tongues",
    ),
    # page paper 30
    (
        "t:58ba22d93d2880bf",
        "reusing the same corpus for several passes when pretraining text runs out",
    ),
    # page paper 31
    (
        "t:bd8bdc2e78f91882",
        "matching error-surface curvature on original and synthetically corrupted data to "
        "cope with unseen environments",
    ),
    # page paper 32
    (
        "t:fbc3dca59f2491e9",
        "why blending pre- and post-finetuning checkpoints is robust: it uses many shortcut "
        "signals",
    ),
    # page paper 33
    (
        "t:a700f0feefb50140",
        "source accuracy and feature matching as competing goals, seeking a compromise "
        "direction for unannotated data",
    ),
    # page paper 34
    (
        "t:2a74a730f2072ee5",
        "imagining embeddings for never-seen categories from their label text to keep "
        "photo-caption models open-world",
    ),
    # page paper 35
    (
        "t:a685cfa5b3a6c116",
        "several small modules kept perpendicular to each other preserve pretrained ViT "
        "features for new environments",
    ),
    # page paper 36
    (
        "t:3e931bc0c96ce518",
        "swap which entries are zeroed in a compressed big chatbot, no backprop needed",
    ),
    # page paper 37
    (
        "t:d56d2fa8949361de",
        "the popular factorized fine-tuning adapters train poorly on brief runs; fix via "
        "per-row step sizes",
    ),
    # page paper 38
    (
        "t:e780855282182661",
        "giving each web document more or less weight in chatbot training by its current "
        "difficulty",
    ),
    # page paper 39
    (
        "t:213808baeea84004",
        "recognizing never-before-seen categories without annotations by transferring how "
        "familiar ones resemble each other",
    ),
    # page paper 40
    (
        "t:0ce868503ca06e5f",
        "starting values for tiny factorized add-ons that mimic the first dense update of "
        "full tuning",
    ),
    # page paper 41
    (
        "t:2130705504d00b1e",
        "squash each parameter through a smooth curve so it stays bounded yet away from 0",
    ),
    # page paper 42
    (
        "t:7a608a7a0d616165",
        "drawing thinned connectivity patterns by chance as a yardstick for clever topology search",
    ),
    # page paper 43
    (
        "t:9657521b5603a3a8",
        "stop a pretrained image generator from producing unwanted content without its "
        "original training set",
    ),
    # page paper 44
    (
        "t:e2852af477a55714",
        "hardness results: when the backward pass of factorized attention add-ons can beat "
        "quadratic time",
    ),
    # page paper 45
    (
        "t:a7460f2fdcaf8e14",
        "removing most connections before erasing particular records makes deletion requests "
        "easier to honour",
    ),
    # page paper 46
    (
        "t:be325373814f9605",
        "why bagged decision-split ensembles work: kernel averaging that tunes its own bandwidth",
    ),
    # page paper 47
    (
        "t:b24028bd38bdac7d",
        "a single attention layer's forward computation equals one optimizer update on "
        "least-squares, explaining prompt-based adaptation",
    ),
    # page paper 48
    (
        "t:d10d0db8f53cb7ac",
        "do simple text perturbation tricks help lightweight prompt-based tuning when "
        "examples are scarce",
    ),
    # page paper 49
    (
        "t:3f3e5dfaa0fafea5",
        "do classic habits like weight decay and tiny minibatches still matter once networks "
        "get bigger",
    ),
    # page paper 50
    (
        "t:8594dfe5abc4e0e2",
        "condensing a big training collection into a few fake pictures by imitating gently "
        "changing teachers",
    ),
    # page paper 51
    (
        "t:648f2c16309fad38",
        "split the target collection into subsets, each getting its own learned pixel tweak",
    ),
    # page paper 52
    (
        "t:80c1b1acbfb2137b",
        "adapter-tuned matrices gain new dominant eigen-directions that dense updating never "
        "produces",
    ),
    # page paper 53
    (
        "t:82537180ba7d04b7",
        "combining side-by-side and stacked lightweight add-ons into one multi-path module",
    ),
    # page paper 54
    (
        "t:fccd28b3468ba285",
        "proof that learning from raw unannotated data first reduces how many labelled "
        "examples are needed",
    ),
    # page paper 55
    (
        "t:656025a7d65d1d79",
        "flatness of minima does not reliably predict test accuracy in transformers",
    ),
    # page paper 56
    (
        "t:b73f1b93cf7e13f4",
        "forcing compact representations, via randomly switching off units, to resist "
        "mislabeled training sets",
    ),
    # page paper 57
    (
        "t:a4c05230def3d400",
        "nets that provably implement a shrinkage step of some hidden penalty, for restoring "
        "corrupted measurements",
    ),
    # page paper 58
    (
        "t:57b97dfb24733053",
        "gradually enlarging minibatches for per-coordinate step-size optimizers, with rate "
        "guarantees",
    ),
    # page paper 59
    (
        "t:b0a8e91521b33c74",
        "speeding up relaxed gradient-driven topology search for convolutional cells",
    ),
    # page paper 60
    (
        "t:77192cece461638b",
        "balancing labelled and augmentation-agreement losses per example in organ "
        "segmentation with scarce masks",
    ),
    # page paper 61
    (
        "t:aecdb70c06b5d727",
        "interpolating pairs of images and labels, exploiting difficult blends without costly"
        " saliency search",
    ),
    # page paper 62
    (
        "t:20f3d07f7ccb23a2",
        "blend the parameters of several finetuned checkpoints rather than keeping only the "
        "top one",
    ),
]
