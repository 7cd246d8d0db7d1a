import { KmemError } from "./kmem-error.js";

/** Codes a {@link QuizError} can carry. */
export type QuizErrorCode = "UnsupportedArch" | "UnknownPolicy" | "InvalidAnswer" | "InvalidSeed" | "InvalidCount" | "InvalidTrace" | "InvalidFrames";

/** Thrown by the exercise generators for a bad request (an unknown mode, a bad seed or count); `data` names the value. */
export class QuizError extends KmemError<QuizErrorCode, Record<string, unknown>> {}
