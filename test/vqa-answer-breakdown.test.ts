/** The VQA breakdown script groups questions by template: variable words become placeholders. */
import { evenlySpaced, questionTemplate, softmaxMass, yesNoStatement } from '../scripts/vqa-answer-breakdown';

it('replaces shapes, plurals, colors, places and pattern words, and unifies a/an', () => {
  expect(questionTemplate('is there an orange circle?')).toBe('is there a <color> <shape>?');
  expect(questionTemplate('is there a red star?')).toBe('is there a <color> <shape>?');
  expect(questionTemplate('how many triangles are there?')).toBe('how many <shapes> are there?');
  expect(questionTemplate('is the background striped?')).toBe('is the background <pattern>?');
  expect(questionTemplate('what color is the background?')).toBe('what color is the background?');
  expect(questionTemplate('is the square in the top left corner?')).toBe('is the <shape> <place>?');
});

it('turns each yes/no question into the statement it checks, and no other question', () => {
  expect(yesNoStatement('is there an orange circle?')).toBe('an orange circle');
  expect(yesNoStatement('is there a red star?')).toBe('a red star');
  expect(yesNoStatement('is the background striped?')).toBe('a shape on a striped background');
  expect(yesNoStatement('is the star little?')).toBe('a little star');
  expect(yesNoStatement('is the star near the top?')).toBe('a star near the top');
  expect(yesNoStatement('is the cross in the top left corner?')).toBe('a cross in the top left corner');
  expect(yesNoStatement('is the star small or large?')).toBeUndefined();
  expect(yesNoStatement('what color is the star?')).toBeUndefined();
});

it('samples training questions evenly over the file, or takes them all', () => {
  const records = Array.from({ length: 10 }, (_, i) => i);
  expect(evenlySpaced(records, 4)).toEqual([0, 2, 5, 7]);
  expect(evenlySpaced(records, 10)).toEqual(records);
  expect(evenlySpaced(records, 12)).toEqual(records);
});

it('measures the softmax probability on the answer list first tokens, each token once', () => {
  const logits = [0, Math.log(3), 0, Math.log(2)];
  expect(softmaxMass(logits, [1])).toBeCloseTo(3 / 7, 12);
  expect(softmaxMass(logits, [1, 3, 1])).toBeCloseTo(5 / 7, 12);
  expect(softmaxMass(logits, [])).toBe(0);
  expect(softmaxMass([1000, 0, 1000], [0])).toBeCloseTo(0.5, 12);
});
