import { accuracyByType, answerScore, consensusAnswer, majorityBaseline, questionType } from '../lib/tools/demo/baselines';

const ten = (answer: string, others: string[] = []) => [...Array(10 - others.length).fill(answer), ...others];

describe('VQA baselines by question type', () => {
  const train = [
    { question: 'is there a red star?', answers: ten('yes') },
    // Counted by its consensus answer, not by its first annotator.
    { question: 'is there a blue circle?', answers: ['no', ...ten('yes', ['no']).slice(1)] },
    { question: 'is there a green cross?', answers: ten('no') },
    { question: 'what color is the star?', answers: ten('red') },
  ];
  const test = [
    { question: 'Is there a white square?', answers: ten('no', ['yes']) },
    { question: 'is there a red star?', answers: ten('yes') },
    { question: 'what color is the circle?', answers: ten('orange', ['red', 'red']) },
    { question: 'how many stars are there?', answers: ten('2') },
  ];

  it('scores answers with VQA soft accuracy: 1 for four or more annotators, 0.3 / 0.6 / 0.9 for one / two / three', () => {
    expect(answerScore('yes', ten('yes'))).toBe(1);
    expect(answerScore('no', ten('yes', ['no']))).toBeCloseTo(0.3, 12);
    expect(answerScore('red', ten('orange', ['red', 'red']))).toBeCloseTo(0.6, 12);
    expect(answerScore('blue', ten('orange', ['red']))).toBe(0);
    // One answer only (not VQA v2): exact match.
    expect(answerScore('two', ['two'])).toBe(1);
    expect(answerScore('2', ['two'])).toBe(0);
    expect(consensusAnswer(['no', 'yes', 'yes'])).toBe('yes');
    expect(consensusAnswer(['b', 'a', 'a', 'b'])).toBe('b');
  });

  it('scores the majority answer and each prediction list per type, largest type first, and agrees with the overall accuracy', () => {
    const base = majorityBaseline(train, test);
    expect(base.answers).toEqual({ 'is there': 'yes', 'what color': 'red', 'how many': 'yes' });
    // 'is there': 0.3 + 1; 'what color': 0.6 (two annotators said red); 'how many' was never seen in
    // training, and the overall top answer ('yes') is wrong.
    expect(base.accuracy).toBeCloseTo((100 * (0.3 + 1 + 0.6 + 0)) / 4, 9);
    const byType = accuracyByType(test, base.answers, { after: ['no', 'no', 'orange', '2'] });
    expect(Object.keys(byType)).toEqual(['is there', 'how many', 'what color']);
    expect(byType['is there'].questions).toBe(2);
    expect(byType['is there'].majority).toBeCloseTo(65, 9);
    expect(byType['is there'].after).toBeCloseTo(50, 9);
    expect(byType['what color'].majority).toBeCloseTo(60, 9);
    expect(byType['what color'].after).toBe(100);
    expect(byType['how many']).toEqual({ questions: 1, majority: 0, after: 100 });
    const overall = (k: 'majority' | 'after') => Object.values(byType).reduce((s, t) => s + t[k] * t.questions, 0) / test.length;
    expect(overall('after')).toBeCloseTo(75, 9);
    expect(overall('majority')).toBeCloseTo(base.accuracy, 9);
    expect(questionType('  What   shape is it?')).toBe('what shape');
  });
});
