"""The anthropic SDK, unmodified, against the emulator's Messages API route: the
errors it raises for a retired model and a blank text block are the API's own.

Reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the environment; prints one
line per check; exits non-zero on the first failure.
"""

import sys
import warnings

import anthropic

TOOLS = [{"type": "code_execution_20250825", "name": "code_execution"}]
BETAS = ["code-execution-2025-08-25"]


def main():
    client = anthropic.Anthropic()
    with warnings.catch_warnings():
        # The SDK warns about the retired model before sending the request.
        warnings.simplefilter("ignore")
        try:
            client.beta.messages.create(
                model="claude-sonnet-4-5-20250929",
                max_tokens=256,
                betas=BETAS,
                tools=TOOLS,
                messages=[{"role": "user", "content": "Calculate 6 * 7"}],
            )
            raise AssertionError("a retired model was served")
        except anthropic.NotFoundError as err:
            assert err.status_code == 404, err.status_code
            assert err.body["error"]["type"] == "not_found_error", err.body
            assert err.body["error"]["message"] == "model: claude-sonnet-4-5-20250929", err.body
            print("retired model ok")

    try:
        client.beta.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=256,
            betas=BETAS,
            tools=TOOLS,
            messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}],
        )
        raise AssertionError("a blank text block was accepted")
    except anthropic.BadRequestError as err:
        message = err.body["error"]["message"]
        assert message == "messages: text content blocks must be non-empty", message
        print("blank text ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as err:
        print("FAILED:", err, file=sys.stderr)
        sys.exit(1)
