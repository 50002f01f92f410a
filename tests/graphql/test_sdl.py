"""The exported SDL in schema/schema.graphql is what the code serves."""

from schema import SDL_PATH, export_sdl


def test_exported_sdl_is_up_to_date():
    assert SDL_PATH.read_text(encoding="utf-8") == export_sdl(), (
        "schema/schema.graphql is stale: run `examreg export-schema` and commit the result"
    )
