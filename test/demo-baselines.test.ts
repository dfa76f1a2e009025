import { accuracyByType, majorityBaseline, questionType } from '../lib/tools/demo/baselines';

describe('VQA baselines by question type', () => {
  const train = [
    { question: 'is there a red star?', answers: ['yes'] },
    { question: 'is there a blue circle?', answers: ['yes'] },
    { question: 'is there a green cross?', answers: ['no'] },
    { question: 'what color is the star?', answers: ['red'] },
  ];
  const test = [
    { question: 'Is there a white square?', answers: ['no'] },
    { question: 'is there a red star?', answers: ['yes'] },
    { question: 'what color is the circle?', answers: ['red', 'orange'] },
    { question: 'how many stars are there?', answers: ['two'] },
  ];

  it('scores the majority answer and each prediction list per type, largest type first, and agrees with the overall accuracy', () => {
    const base = majorityBaseline(train, test);
    expect(base.answers).toEqual({ 'is there': 'yes', 'what color': 'red', 'how many': 'yes' });
    expect(base.accuracy).toBe(50); // 'how many' was never seen in training: the overall top answer ('yes') is wrong
    const byType = accuracyByType(test, base.answers, { after: ['no', 'no', 'orange', 'two'] });
    expect(Object.keys(byType)).toEqual(['is there', 'how many', 'what color']);
    expect(byType['is there']).toEqual({ questions: 2, majority: 50, after: 50 });
    expect(byType['what color']).toEqual({ questions: 1, majority: 100, after: 100 });
    expect(byType['how many']).toEqual({ questions: 1, majority: 0, after: 100 });
    const overall = Object.values(byType).reduce((s, t) => s + t.after * t.questions, 0) / test.length;
    expect(overall).toBe(75);
    expect(questionType('  What   shape is it?')).toBe('what shape');
  });
});
