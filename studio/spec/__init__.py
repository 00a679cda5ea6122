"""The declarative team format: models, validation, registry, import/export, build.

Depends on :mod:`studio.engine` only.
"""

from typing import TYPE_CHECKING

from studio.engine._lazy import lazy_exports

if TYPE_CHECKING:  # what each name is; it is imported on first use (see _lazy)
    from ._autogen_import import ImportReport, import_autogen
    from ._fields import canonical_parts, closest_field, fields_at, respell
    from ._files import (
        BUNDLE_KIND,
        FileImport,
        export_bundle,
        export_bundle_text,
        export_file,
        file_name_for,
        import_bundle,
        import_file,
    )
    from ._io import (
        bundled_template_names,
        bundled_templates,
        default_registry,
        dump_json,
        dump_yaml,
        load_bundled_template,
        load_template,
        parse_text,
    )
    from ._locate import (
        is_syntax_error,
        locate_problems,
        problem_lines,
        syntax_detail,
        text_excerpt,
        text_format,
    )
    from ._models import (
        FORMAT_VERSION,
        AgentKind,
        AgentSpec,
        CodeExecutionSpec,
        DemoScriptSpec,
        DemoToolCall,
        DemoTurn,
        EdgeSpec,
        GroupSettings,
        HumanInputMode,
        ModelConfig,
        ModelSettings,
        NestedChatSpec,
        PatternKind,
        PatternSpec,
        Position,
        TemplateSpec,
        TerminationSpec,
        ToolSpec,
    )
    from ._problems import SUMMARY_LIMIT, Problem, SpecError, parse_path, summarise, value_at
    from ._retrieval import use_collection
    from ._script_export import export_script
    from ._tool_source import ToolSourceError
    from ._validate import group_members, reached_agents, sequence_edges, validate
    from .build import BuildError, Team, TeamResult, build_team, default_model_resolver
    from .registry import AgentPreset, ModelPreset, RegisteredTool, Registry, RegistryError


__all__ = [
    "FORMAT_VERSION",
    "SUMMARY_LIMIT",
    "AgentKind",
    "AgentPreset",
    "AgentSpec",
    "BuildError",
    "CodeExecutionSpec",
    "DemoScriptSpec",
    "DemoToolCall",
    "DemoTurn",
    "EdgeSpec",
    "GroupSettings",
    "HumanInputMode",
    "ModelConfig",
    "ModelPreset",
    "ModelSettings",
    "NestedChatSpec",
    "PatternKind",
    "PatternSpec",
    "Position",
    "Problem",
    "RegisteredTool",
    "Registry",
    "RegistryError",
    "SpecError",
    "Team",
    "TeamResult",
    "TemplateSpec",
    "TerminationSpec",
    "ToolSourceError",
    "ToolSpec",
    "build_team",
    "canonical_parts",
    "closest_field",
    "fields_at",
    "parse_path",
    "respell",
    "bundled_template_names",
    "bundled_templates",
    "default_model_resolver",
    "default_registry",
    "dump_json",
    "dump_yaml",
    "group_members",
    "load_bundled_template",
    "load_template",
    "is_syntax_error",
    "locate_problems",
    "problem_lines",
    "syntax_detail",
    "text_excerpt",
    "text_format",
    "parse_text",
    "reached_agents",
    "sequence_edges",
    "summarise",
    "use_collection",
    "validate",
    "value_at",
    "BUNDLE_KIND",
    "FileImport",
    "ImportReport",
    "export_bundle",
    "export_bundle_text",
    "export_file",
    "export_script",
    "file_name_for",
    "import_autogen",
    "import_bundle",
    "import_file",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
