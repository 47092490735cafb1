// The operator's questionnaire (frontend/questionnaire.json), built into the
// pages: which fields the report form asks, in each language.
import type { LocalText } from "../lib/i18n.js";

export interface QuestionOption {
  value: string;
  label: LocalText;
}

export interface Question {
  key: string;
  type: "select" | "radio" | "text" | "textarea";
  required?: boolean;
  max?: number;
  label: LocalText;
  hint?: LocalText;
  options?: QuestionOption[];
}

export interface Questionnaire {
  v: number;
  title: LocalText;
  fields: Question[];
}
