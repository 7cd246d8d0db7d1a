/** The exercise panel's styles, added to the page by `bindQuiz` (the page's own sheet stays untouched). */
export const QUIZ_STYLE = `
.quiz h2 small { font-weight: normal; }
.quiz-actions { float: right; display: flex; gap: 8px; margin-top: -34px; }
.quiz-notes { margin: 4px 0 10px; padding-left: 18px; font-size: 12.5px; }
.quiz-body { display: grid; grid-template-columns: minmax(0, 46em) 1fr; gap: 16px; align-items: start; }
.quiz-dump { margin: 0; font-size: 12px; line-height: 1.35; overflow-x: auto; padding: 8px; background: rgba(127, 127, 127, .08); border-radius: 4px; }
.quiz-questions { margin: 0; padding-left: 24px; }
.quiz-questions > li { margin-bottom: 10px; }
.quiz-access { font-family: ui-monospace, monospace; min-width: 17em; display: inline-block; }
.quiz-verdict { margin: 4px 0; font-weight: 600; }
.quiz-verdict.right { color: #1a7f37; }
.quiz-verdict.wrong, .quiz-verdict.unreadable { color: #cf222e; }
.quiz-reveal > * { animation: quiz-step .35s ease-out both; }
.quiz-reveal > :nth-child(2) { animation-delay: .35s; }
.quiz-reveal > :nth-child(3) { animation-delay: .7s; }
.quiz-reveal > :nth-child(4) { animation-delay: 1.05s; }
.quiz-reveal > :nth-child(5) { animation-delay: 1.4s; }
@keyframes quiz-step { from { opacity: 0; transform: translateY(6px); } to { opacity: 1; transform: none; } }
@media (prefers-reduced-motion: reduce) { .quiz-reveal > * { animation: none; } }
@media (max-width: 1260px) { .quiz-body { grid-template-columns: 1fr; } }
`;
