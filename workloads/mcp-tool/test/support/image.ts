/** The MCP tool image's start (node flags and ENV), read from its Dockerfile by the detector's shared reader. */
import { join } from "node:path";
import { imageStart as readImageStart, type ImageStart } from "../../../detector/test/support/image";

export { parseImageStart } from "../../../detector/test/support/image";

export const DOCKERFILE = join(__dirname, "..", "..", "Dockerfile");

export function imageStart(): ImageStart {
    return readImageStart(DOCKERFILE);
}
