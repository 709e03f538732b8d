"""Model files as ComfyUI lists them: which family a file belongs to, the sizes each family
renders natively, and finding a file by name in any subfolder.

    family   `detect_family(metadata, filename)`: safetensors metadata, else the file name
    sizes    the ratio presets per size class (512, 768, 1024) and custom "<W>x<H>" sizes
    files    `installed_name`: a template's file name found in a subfolder
"""
