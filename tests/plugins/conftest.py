import sys
from pathlib import Path

# `plugin_parts` is imported by path (`plugin_parts:Ones`), like a researcher's own module on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
