/** The VQA breakdown script groups questions by template: variable words become placeholders. */
import { questionTemplate } from '../scripts/vqa-answer-breakdown';

it('replaces shapes, plurals, colors, places and pattern words, and unifies a/an', () => {
  expect(questionTemplate('is there an orange circle?')).toBe('is there a <color> <shape>?');
  expect(questionTemplate('is there a red star?')).toBe('is there a <color> <shape>?');
  expect(questionTemplate('how many triangles are there?')).toBe('how many <shapes> are there?');
  expect(questionTemplate('is the background striped?')).toBe('is the background <pattern>?');
  expect(questionTemplate('what color is the background?')).toBe('what color is the background?');
  expect(questionTemplate('is the square in the top left corner?')).toBe('is the <shape> <place>?');
});
