"""Report cards: what an adapter is, how it was trained and how it holds up, on one page.

``vadapt report NAME@V`` measures (:mod:`.measure`), draws (:mod:`.plots`) and renders
(:mod:`.page`) the card, and stores it as the adapter's ``report`` attachment
(:mod:`vadapt_registry.attachments`): a later call, in any process, reads it back from
the registry without loading a model. :mod:`.build` ties the three together.
"""
