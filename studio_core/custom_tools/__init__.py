"""Tools an admin imported from a ComfyUI workflow (issue 11), kept in the `custom_tools` table.

Modules, each importing only those above it:

    store      the table: create / get / list / update / set_status / delete; tool ids
    tool       `ImportedTool` (a catalog Tool that says "imported") built from a row
    live       `LiveCatalog`: built-in + published imported tools, re-read when rows change
    schemas    the node schemas a draft is checked against: live engines', else the bundled
    exchange   the exported tool file {"format": "comfyui-studio-tool", "version": 1, ...}
    admin      what the admin API does: import, edit, publish, disable, delete, export
"""
