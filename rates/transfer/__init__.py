"""Export and import of the parameter store: the bundled files' YAML tree, and a workbook of one row per version.

What an export carries (both formats): the regions and every version *in force* (neither superseded
nor withdrawn) with its values, references, trust level, note and scheme switches. It does not carry
the history (superseded and withdrawn records), record ids, or who recorded a version and when: the
bundled files' format has no place for them, and they stay in the database and its audit log (back
the database up to keep them). Importing an export into an empty database therefore gives a store in
which every region, family and month resolves to the same figures with the same sources.

Problems found while reading an upload are ``PublishError`` with Chinese messages that name the
cell (workbook) or the key (YAML), like everything an administrator reads.
"""

from __future__ import annotations

# The package's public names, where callers have always found them (``rates.transfer.read_workbook``, ...).
from rates.transfer.common import SCOPE_NOTE as SCOPE_NOTE
from rates.transfer.reading import read_workbook as read_workbook
from rates.transfer.sheets import append_text_row as append_text_row
from rates.transfer.sheets import columns as columns
from rates.transfer.sheets import export_workbook as export_workbook
from rates.transfer.sheets import saved as saved
from rates.transfer.sheets import template_workbook as template_workbook
from rates.transfer.sheets import workbook as workbook
from rates.transfer.tree import read_family_yaml as read_family_yaml
from rates.transfer.tree import read_yaml_zip as read_yaml_zip
from rates.transfer.tree import version_body as version_body
from rates.transfer.tree import yaml_tree as yaml_tree
from rates.transfer.tree import yaml_zip as yaml_zip
