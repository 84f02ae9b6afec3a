import type { ResponseCodecName } from '../agentcore-target.js';
import type { ResponseCodec } from './response-codec.js';
import { strandsCodec } from './strands-codec.js';
import { textCodec } from './text-codec.js';

export type { CodecStep, ResponseCodec, TurnDecoder } from './response-codec.js';

/** Every codec a target may name. Adding one: a file here, an entry here, its name in `responseCodecNames`. */
export const responseCodecs: Record<ResponseCodecName, ResponseCodec> = {
  text: textCodec,
  strands: strandsCodec,
};
