"""kubectl's output formats: tables (`table`), yaml/json/name (`formats`), JSONPath (`jsonpath`)."""
