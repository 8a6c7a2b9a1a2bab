/**
 * An error whose message is the client's answer: the status (4xx, or a deliberate 503) and headers it goes
 * with. Its own module, free of imports, because the scoring worker throws the request errors too.
 */
export class HttpError extends Error {
    constructor(
        readonly status: number,
        message: string,
        readonly headers: Readonly<Record<string, string>> = {},
        /** The answer's JSON body; `{"error": message}` unless the answer carries more fields. */
        readonly body: Readonly<Record<string, unknown>> = { error: message },
    ) {
        super(message);
        this.name = "HttpError";
    }
}
