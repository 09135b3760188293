"""SOQL for the Salesforce API sandbox: parse a query and compile it to DuckDB SQL over the org's tables."""

from .compiler import CompiledQuery, SelectItem, compile_query, date_literal_range
from .errors import SoqlError
from .parser import Query, parse

__all__ = ["CompiledQuery", "Query", "SelectItem", "SoqlError", "compile_query", "date_literal_range", "parse"]
