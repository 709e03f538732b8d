"""The tool catalog: one folder per tool in `ComfyUIworkflow/` (workflow.json + manifest.json).

Modules, each importing only those above it (no cycles):

    workflow   reading API-format graphs: links, ancestors, sampler and loader classes
    loras      LoRAs: their manifest entries, checking a user's list, inserting loader chains
    manifest   the manifest's data classes and their strict parsing
    sizing     aspect values (preset ids, "<W>x<H>"), resolving a ratio to the model's size class
    params     checking user parameters against a tool; resolving the random seed
    build      the pure template builder (`build_graph`)
    tools      `Tool` (a parsed tool: validate, availability, public JSON), `Catalog.load/get`
    probes     the catalog check's probes of built graphs
    check      `python -m studio_core.catalog.check`: every tool against ComfyUI's schemas
"""
